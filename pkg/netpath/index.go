package netpath

import (
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// Every Diagnose builds a new Analyzer, and most snapshots hold a handful of each kind of
// resource: filling a dozen maps cost more than all the lookups they then served. Short
// lists are scanned instead; only a list longer than indexMin gets a map, so a VPC with
// hundreds of subnets and route tables still answers in constant time.
const indexMin = 16

// byID finds a resource by its id. When ids repeat, the last one wins, as it did when the
// map was filled in order.
type byID[T any] struct {
	items []T
	id    func(*T) string
	m     map[string]*T
}

func newByID[T any](items []T, id func(*T) string) byID[T] {
	x := byID[T]{items: items, id: id}
	if len(items) > indexMin {
		x.m = make(map[string]*T, len(items))
		for i := range items {
			x.m[id(&items[i])] = &items[i]
		}
	}
	return x
}

func (x *byID[T]) get(id string) *T {
	if x.m != nil {
		return x.m[id]
	}
	for i := len(x.items) - 1; i >= 0; i-- {
		if x.id(&x.items[i]) == id {
			return &x.items[i]
		}
	}
	return nil
}

// indexTables builds the route-table and NACL association maps, for large VPCs only (see
// indexMin); otherwise the lookups below scan.
func (a *Analyzer) indexTables() {
	n := &a.s.Network
	if len(n.RouteTables) > indexMin {
		a.rtAssoc = make(map[string]*ec2types.RouteTable, 2*len(n.RouteTables))
		a.rtMain = make(map[string]*ec2types.RouteTable, 1)
		for i := range n.RouteTables {
			t := &n.RouteTables[i]
			for _, as := range t.Associations {
				if id := deref(as.SubnetId); id != "" {
					a.rtAssoc[id] = t
				}
				if as.Main != nil && *as.Main {
					if _, ok := a.rtMain[deref(t.VpcId)]; !ok {
						a.rtMain[deref(t.VpcId)] = t
					}
				}
			}
		}
	}
	if len(n.NetworkAcls) > indexMin {
		a.aclAssoc = make(map[string]*ec2types.NetworkAcl, 2*len(n.NetworkAcls))
		a.aclDef = make(map[string]*ec2types.NetworkAcl, 1)
		for i := range n.NetworkAcls {
			acl := &n.NetworkAcls[i]
			for _, as := range acl.Associations {
				if id := deref(as.SubnetId); id != "" {
					a.aclAssoc[id] = acl
				}
			}
			if acl.IsDefault != nil && *acl.IsDefault {
				a.aclDef[deref(acl.VpcId)] = acl
			}
		}
	}
}

// assocTable is the route table explicitly associated with a subnet (the last association
// listed wins), or nil.
func (a *Analyzer) assocTable(subnetID string) *ec2types.RouteTable {
	if a.rtAssoc != nil {
		return a.rtAssoc[subnetID]
	}
	ts := a.s.Network.RouteTables
	for i := len(ts) - 1; i >= 0; i-- {
		as := ts[i].Associations
		for j := len(as) - 1; j >= 0; j-- {
			if id := deref(as[j].SubnetId); id != "" && id == subnetID {
				return &ts[i]
			}
		}
	}
	return nil
}

// mainTable is the first table marked main in a VPC, or nil.
func (a *Analyzer) mainTable(vpcID string) *ec2types.RouteTable {
	if a.rtMain != nil {
		return a.rtMain[vpcID]
	}
	ts := a.s.Network.RouteTables
	for i := range ts {
		if deref(ts[i].VpcId) != vpcID {
			continue
		}
		for _, as := range ts[i].Associations {
			if as.Main != nil && *as.Main {
				return &ts[i]
			}
		}
	}
	return nil
}

// assocACL is the NACL associated with a subnet (the last association listed wins), or nil.
func (a *Analyzer) assocACL(subnetID string) *ec2types.NetworkAcl {
	if a.aclAssoc != nil {
		return a.aclAssoc[subnetID]
	}
	acls := a.s.Network.NetworkAcls
	for i := len(acls) - 1; i >= 0; i-- {
		as := acls[i].Associations
		for j := len(as) - 1; j >= 0; j-- {
			if id := deref(as[j].SubnetId); id != "" && id == subnetID {
				return &acls[i]
			}
		}
	}
	return nil
}

// defaultACL is the VPC's default NACL (the last listed wins), or nil.
func (a *Analyzer) defaultACL(vpcID string) *ec2types.NetworkAcl {
	if a.aclDef != nil {
		return a.aclDef[vpcID]
	}
	acls := a.s.Network.NetworkAcls
	for i := len(acls) - 1; i >= 0; i-- {
		if acls[i].IsDefault != nil && *acls[i].IsDefault && deref(acls[i].VpcId) == vpcID {
			return &acls[i]
		}
	}
	return nil
}
