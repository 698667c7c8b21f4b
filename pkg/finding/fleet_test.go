package finding

import (
	"testing"

	"github.com/pulldoctor/pulldoctor/pkg/cause"
)

func TestFleetGroupsByTopCause(t *testing.T) {
	results := []ServiceResult{
		{Region: "ap-northeast-1", Cluster: "prod", Service: "web", Causes: []cause.ID{cause.RegistryRateLimit}},
		{Region: "ap-northeast-1", Cluster: "prod", Service: "api", Causes: []cause.ID{cause.NetworkNoRoute, cause.RegistryRateLimit}},
		{Region: "ap-northeast-1", Cluster: "prod", Service: "batch", Causes: []cause.ID{cause.RegistryRateLimit}},
		{Region: "us-east-1", Cluster: "dev", Service: "ok"},
		{Region: "us-east-1", Cluster: "dev", Service: "broken", Error: "AccessDenied"},
	}
	fr := Fleet([]string{"ap-northeast-1", "us-east-1"}, results)
	if fr.Healthy != 1 || fr.Errors != 1 || !fr.HasFailures() {
		t.Fatalf("healthy %d errors %d", fr.Healthy, fr.Errors)
	}
	if len(fr.ByCause) != 2 || fr.ByCause[0].Cause != cause.RegistryRateLimit || len(fr.ByCause[0].Services) != 2 {
		t.Fatalf("want the rate-limit group (2 services) first: %+v", fr.ByCause)
	}
	if fr.ByCause[0].Services[0] != "ap-northeast-1/prod/batch" {
		t.Errorf("services not sorted: %v", fr.ByCause[0].Services)
	}
	if empty := Fleet(nil, nil); empty.HasFailures() || empty.Services == nil {
		t.Errorf("empty fleet: %+v", empty)
	}
}

func TestNewServiceResult(t *testing.T) {
	r := &Report{Verdict: Verdict{Causes: []cause.ID{cause.ImageNotFound}, Summary: "s"}, Findings: []Finding{
		{Check: "ecr-image-exists", Status: Fail}, {Check: "x", Status: Unknown}, {Check: "y", Status: Pass},
	}}
	res := NewServiceResult("r", "c", "s", r)
	if len(res.Failing) != 1 || res.Failing[0] != "ecr-image-exists" || res.Unknown != 1 {
		t.Fatalf("%+v", res)
	}
}
