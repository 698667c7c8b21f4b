package check

// All is every check, in the order reports list them: identity and image first, then IAM,
// registry, network. Adding a check means adding it here; the meta-test in all_test.go keeps
// ids unique and demands a cause and a docs page for each.
func All() []Check {
	return []Check{
		StoppedReasonClassified{},
		ImageReferenceValid{},
		ExecRolePresent{},
		ExecRoleTrust{},
		ExecRoleECRAuth{},
		ExecRoleECRPull{},
		ECRRepositoryPolicy{},
		PullThroughCachePermissions{},
		ExecRoleLogs{},
		SecretsAccess{},
		KMSDecrypt{},
		FargatePublicIP{},
		DockerHubCredentials{},
		ECRRepositoryExists{},
		ECRImageExists{},
		ImagePlatform{},
		PullThroughCacheRule{},
		RegistryCredentialsSecret{},
		DockerHubRateLimit{},
		SubnetEgressPath{},
		NATGatewayHealth{},
		ECREndpointsComplete{},
		EndpointPrivateDNS{},
		VPCDNSAttributes{},
		EndpointSecurityGroup{},
		EndpointPolicy{},
		S3GatewayEndpoint{},
		TaskSGEgress{},
		NACLEgress{},
	}
}

// ByID returns the check with this id, or nil.
func ByID(id string) Check {
	for _, c := range All() {
		if c.Meta().ID == id {
			return c
		}
	}
	return nil
}
