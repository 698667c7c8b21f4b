package netpath

import (
	"net/netip"
	"slices"
	"strings"
	"sync"

	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/pulldoctor/pulldoctor/pkg/cause"
	"github.com/pulldoctor/pulldoctor/pkg/finding"
	"github.com/pulldoctor/pulldoctor/pkg/imageref"
	"github.com/pulldoctor/pulldoctor/pkg/snapshot"
)

// Status is the outcome of one step, or of a whole path. Statuses and layers are small
// numbers rather than strings: every step carries both, and a Result holds a few dozen steps.
type Status uint8

// Statuses. Warn is a step that works but deserves attention (an endpoint only in another AZ,
// custom DNS servers, an endpoint that private DNS does not route to). Skipped marks a layer
// the path does not use (no endpoint, and the internet path works); no report shows such a
// step, so it carries no message or evidence.
const (
	OK Status = iota + 1
	Warn
	Blocked
	Unknown
	Skipped
)

var statusNames = [...]string{OK: "ok", Warn: "warn", Blocked: "blocked", Unknown: "unknown", Skipped: "n/a"}

// String is the status's name: "ok", "warn", "blocked", "unknown", "n/a".
func (s Status) String() string {
	if int(s) < len(statusNames) && statusNames[s] != "" {
		return statusNames[s]
	}
	return "Status(" + itoa(int(s)) + ")"
}

// Layer names one thing that can break a path; each network check reports on one layer.
type Layer uint8

// Layers, in the order a packet meets them.
const (
	LayerDNS            Layer = iota + 1 // VPC enableDnsSupport/Hostnames, DHCP options
	LayerPrivateDNS                      // an endpoint exists: does its private DNS capture the name?
	LayerEndpoint                        // interface endpoint present, available, in the task's AZ
	LayerEndpointSG                      // endpoint security groups let 443 in from the task
	LayerEndpointPolicy                  // endpoint policy allows the call
	LayerS3Gateway                       // S3 gateway endpoint on the subnet's route table
	LayerRoute                           // route table: a route to IGW/NAT
	LayerPublicIP                        // IGW path needs a public IP
	LayerNAT                             // NAT gateway available, its subnet routes to an IGW
	LayerSGEgress                        // task security groups allow 443 out
	LayerNACL                            // subnet NACLs: egress 443, ingress ephemeral ports
)

var layerNames = [...]string{LayerDNS: "dns", LayerPrivateDNS: "private-dns", LayerEndpoint: "endpoint", LayerEndpointSG: "endpoint-sg",
	LayerEndpointPolicy: "endpoint-policy", LayerS3Gateway: "s3-gateway", LayerRoute: "route", LayerPublicIP: "public-ip",
	LayerNAT: "nat", LayerSGEgress: "sg-egress", LayerNACL: "nacl"}

// String is the layer's name, e.g. "route", "endpoint-sg".
func (l Layer) String() string {
	if int(l) < len(layerNames) && layerNames[l] != "" {
		return layerNames[l]
	}
	return "Layer(" + itoa(int(l)) + ")"
}

// Via says how a reachable (or attempted) path leaves the subnet.
type Via string

// Ways out.
const (
	ViaInterfaceEndpoint Via = "interface-endpoint"
	ViaGatewayEndpoint   Via = "gateway-endpoint"
	ViaInternetGateway   Via = "internet-gateway"
	ViaNATGateway        Via = "nat-gateway"
	ViaOutsideModel      Via = "outside-model"
	ViaNone              Via = "none"
)

// Hop is one element of a human-readable path.
type Hop struct {
	ID   string `json:"id"`
	Note string `json:"note,omitempty"`
}

func (h Hop) String() string {
	if h.Note == "" {
		return h.ID
	}
	return h.ID + " (" + h.Note + ")"
}

// Step is the verdict of one layer on one destination, with the facts it rests on and, when it
// blocks, the fix for the resources at hand.
type Step struct {
	Layer     Layer
	Status    Status
	Message   string
	MessageJA string
	Evidence  []finding.Evidence
	// Needs names the read permissions that would decide an Unknown step.
	Needs []string
	// Cause overrides the check's default cause when this step decides a different one
	// (S3-only blocks are s3-layer-access; VPC DNS off is dns-resolution).
	Cause cause.ID
	Fix   *finding.Remediation
}

// Result is the answer for one destination.
type Result struct {
	Dest   Destination
	Status Status
	Via    Via
	Hops   []Hop
	Steps  []Step
	// path is Path() worked out once by Reach: every network check asks for it.
	path string
}

// Path is the human string, e.g.
// "subnet-1 → rtb-2 (0.0.0.0/0 → nat-3, available) → nat-3 in subnet-4 → rtb-5 (0.0.0.0/0 → igw-6)".
func (r Result) Path() string {
	if r.path != "" {
		return r.path
	}
	return r.joinHops()
}

func (r Result) joinHops() string {
	n := 0
	for i, h := range r.Hops {
		if i > 0 {
			n += len(" → ")
		}
		n += len(h.ID)
		if h.Note != "" {
			n += len(" (") + len(h.Note) + len(")")
		}
	}
	var b strings.Builder
	b.Grow(n)
	for i, h := range r.Hops {
		if i > 0 {
			b.WriteString(" → ")
		}
		b.WriteString(h.ID)
		if h.Note != "" {
			b.WriteString(" (")
			b.WriteString(h.Note)
			b.WriteByte(')')
		}
	}
	return b.String()
}

// Step returns the step for a layer, or nil when the path did not involve it.
func (r Result) Step(l Layer) *Step {
	for i := range r.Steps {
		if r.Steps[i].Layer == l {
			return &r.Steps[i]
		}
	}
	return nil
}

func (r *Result) add(st Step) {
	r.Steps = append(r.Steps, st)
}

// finish derives the overall status: any blocked step blocks; else any unknown step leaves
// the path undecided.
func (r *Result) finish() {
	r.Status = OK
	for _, st := range r.Steps {
		switch st.Status {
		case Blocked:
			r.Status = Blocked
			return
		case Unknown:
			r.Status = Unknown
		}
	}
}

// Analyzer evaluates paths for one snapshot. Build it once (New) and ask Reach per
// destination; it indexes the snapshot so that a VPC with hundreds of subnets and thousands of
// routes costs microseconds per question. It does not modify the snapshot.
type Analyzer struct {
	s *snapshot.Snapshot

	eni    snapshot.ENIContext
	subnet *ec2types.Subnet
	vpc    *snapshot.VPC
	vpcID  string
	az     string
	taskIP netip.Addr
	// setup is non-nil when the ENI context itself cannot be established; every answer is then
	// that step.
	setup *Step

	subnets byID[ec2types.Subnet]
	sgs     byID[ec2types.SecurityGroup]
	rtByID  byID[ec2types.RouteTable]
	nats    byID[ec2types.NatGateway]
	igws    byID[ec2types.InternetGateway]
	pls     byID[snapshot.PrefixList]
	enis    byID[ec2types.NetworkInterface]
	// Association maps, built only for large VPCs (see indexTables); nil means scan.
	rtAssoc   map[string]*ec2types.RouteTable // subnet id → explicitly associated table
	rtMain    map[string]*ec2types.RouteTable // vpc id → main table
	aclAssoc  map[string]*ec2types.NetworkAcl // subnet id → NACL
	aclDef    map[string]*ec2types.NetworkAcl // vpc id → default NACL
	endpoints []*ec2types.VpcEndpoint         // in the task's VPC

	mu     sync.Mutex
	cache  map[reachKey]Result
	needed []Destination
	// dns is dnsStep's answer, the same for every destination.
	dns *Step
	// tails are reachInternet's answers: most destinations without an endpoint share the
	// internet path, whose route, NAT, security group and NACL steps are the same each time.
	// A fixed array: a task's paths reach the internet as the internet and as S3.
	tails  [2]tail
	nTails int
	// ways are walkRoute's answers (see way): a fixed array, as a task's paths leave by one
	// or two routes.
	ways  [2]way
	nWays int
	// summaries are summarizeRoutes' answers: the internet and S3 paths cross the same
	// tables (a fixed array: a path crosses at most two).
	summaries  [2]routeSummary
	nSummaries int
	// epSetup is where the fixes creating interface endpoints start (fixCreateInterface).
	epSetup *endpointSetup
	// fixes are the fixes built so far that two paths may share (see fixMemo).
	fixes []fixMemo
	// paths are PathLines' answers by set of destinations: the eleven checks show a few.
	paths  [4]pathLines
	nPaths int
	// results are Results' answers.
	resultsOnce sync.Once
	results     []Result
	// parse parses image references for Needed (imageref.Parse unless NewWith says).
	parse func(string) (imageref.Ref, error)
}

// NewWith is New with the image parser Needed uses (nil: imageref.Parse); a caller that
// memoises parsing passes its memo. The parser must be a pure equivalent of imageref.Parse.
func NewWith(s *snapshot.Snapshot, parse func(string) (imageref.Ref, error)) *Analyzer {
	a := New(s)
	a.parse = parse
	return a
}

// New indexes the snapshot and works out the ENI context that pulls the image.
func New(s *snapshot.Snapshot) *Analyzer {
	// cache is made on first use: Results answers the needed destinations, so most
	// analyzers never ask Reach for another.
	a := &Analyzer{s: s}
	n := &s.Network
	a.subnets = newByID(n.Subnets, func(x *ec2types.Subnet) string { return deref(x.SubnetId) })
	a.sgs = newByID(n.SecurityGroups, func(x *ec2types.SecurityGroup) string { return deref(x.GroupId) })
	a.rtByID = newByID(n.RouteTables, func(x *ec2types.RouteTable) string { return deref(x.RouteTableId) })
	a.nats = newByID(n.NatGateways, func(x *ec2types.NatGateway) string { return deref(x.NatGatewayId) })
	a.igws = newByID(n.InternetGateways, func(x *ec2types.InternetGateway) string { return deref(x.InternetGatewayId) })
	a.pls = newByID(n.PrefixLists, func(x *snapshot.PrefixList) string { return x.PrefixListID })
	a.enis = newByID(n.NetworkInterfaces, func(x *ec2types.NetworkInterface) string { return deref(x.NetworkInterfaceId) })
	a.indexTables()
	a.setupContext()
	if a.vpcID != "" {
		for i := range n.VpcEndpoints {
			if deref(n.VpcEndpoints[i].VpcId) == a.vpcID {
				a.endpoints = append(a.endpoints, &n.VpcEndpoints[i])
			}
		}
	}
	return a
}

// setupContext finds the subnet, VPC, AZ and private IP that the pull uses.
func (a *Analyzer) setupContext() {
	s := a.s
	if !s.IsFargate() && s.LaunchType() == "EC2" && s.Instance == nil {
		st := a.missing(LayerRoute, "ec2:DescribeInstances", "", "the container instance's EC2 instance (whose subnet, security groups and public IP do the pull)", "イメージを pull するコンテナインスタンスの EC2 インスタンス")
		if s.ContainerInstance == nil {
			st.Needs = append(st.Needs, "ecs:DescribeContainerInstances")
		}
		a.setup = &st
		return
	}
	eni, ok := s.ENI()
	a.eni = eni
	if !ok {
		st := a.missing(LayerRoute, "ecs:DescribeTasks", "", "the subnet the task ran in", "タスクが実行されたサブネット")
		a.setup = &st
		return
	}
	sid := eni.SubnetIDs[0]
	a.subnet = a.subnets.get(sid)
	if a.subnet == nil {
		st := a.missing(LayerRoute, "ec2:DescribeSubnets", sid, "subnet "+sid, "サブネット "+sid)
		a.setup = &st
		return
	}
	a.vpcID = deref(a.subnet.VpcId)
	a.vpc = s.VPC(a.vpcID)
	a.az = firstNonEmpty(eni.AvailabilityZone, deref(a.subnet.AvailabilityZone))
	if ip, err := netip.ParseAddr(eni.PrivateIP); err == nil {
		a.taskIP = ip
	}
}

// Setup is the step that stopped the analysis before any path (the subnet or the container
// instance is unknown), or nil.
func (a *Analyzer) Setup() *Step { return a.setup }

// SubnetID is the subnet whose routes decide the path ("" when unknown).
func (a *Analyzer) SubnetID() string {
	if a.subnet == nil {
		return ""
	}
	return deref(a.subnet.SubnetId)
}

// VPCID is the VPC of that subnet.
func (a *Analyzer) VPCID() string { return a.vpcID }

// ENI is the context the analyzer works from.
func (a *Analyzer) ENI() snapshot.ENIContext { return a.eni }

// Endpoints are the VPC endpoints in the task's VPC.
func (a *Analyzer) Endpoints() []*ec2types.VpcEndpoint { return a.endpoints }

// reachKey names one memoised Reach answer: the service, and the host for internet
// destinations.
type reachKey struct {
	svc  Service
	host string
}

// Reach evaluates every layer of the path to one destination. A destination of Needed()
// is answered from Results(). The Result shares its slices with the analyzer's memo: callers
// must not modify its Steps, Hops or the steps' Evidence and Needs (copy first).
func (a *Analyzer) Reach(d Destination) Result {
	key := keyOf(d)
	for i, n := range a.Needed() {
		if keyOf(n) == key {
			r := a.Results()[i]
			r.Dest = d
			return r
		}
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if r, ok := a.cache[key]; ok {
		r.Dest = d
		return r
	}
	r := a.reachLocked(d, make([]Step, 0, stepsPerPath), make([]Hop, 0, hopsPerPath))
	r.path = r.joinHops()
	if a.setup == nil {
		if a.cache == nil {
			a.cache = make(map[reachKey]Result, 2)
		}
		a.cache[key] = r
	}
	return r
}

// keyOf names one memoised Reach answer.
func keyOf(d Destination) reachKey {
	// A struct key, not "internet:"+host: every network check asks for every destination.
	key := reachKey{svc: d.Service}
	if d.Service == Internet {
		key.host = d.Host
	}
	return key
}

// reachLocked follows the path to d, with a.mu held. Steps and hops are appended to the
// given (empty) slices.
func (a *Analyzer) reachLocked(d Destination, steps []Step, hops []Hop) Result {
	r := Result{Dest: d, Via: ViaNone, Steps: steps}
	if a.setup != nil {
		r.add(*a.setup)
		r.finish()
		return r
	}
	r.Hops = append(hops, Hop{ID: a.SubnetID(), Note: a.az})
	switch {
	case d.Service == S3:
		a.reachS3(&r)
	case d.Service.Interface():
		a.reachInterface(&r)
	default:
		a.reachInternet(&r, internetDest(), false)
	}
	a.attribute(&r)
	r.finish()
	return r
}

// Per destination, a path has about half a dozen steps and a handful of hops; growing the
// slices one at a time dominated. The longest path (an interface endpoint: DNS, private DNS,
// endpoint, its security group, its policy, the task's security group, NACL) has 7 steps;
// the most hops are 4 (subnet, route table, NAT gateway, its route table). Results shares
// one array between destinations, so a longer one only takes room a shorter one left.
const (
	stepsPerPath = 7
	hopsPerPath  = 4
)

// Results are the answers for Needed(), in its order, worked out once per analyzer: every
// network check reads every one of them. They are shared and read-only: callers must not
// modify a Result's Steps or Hops, nor a step's Evidence or Needs (copy first). Safe for
// concurrent use.
func (a *Analyzer) Results() []Result {
	a.resultsOnce.Do(func() {
		needed := a.Needed()
		a.mu.Lock()
		defer a.mu.Unlock()
		rs := make([]Result, len(needed))
		// One backing array for all the steps and one for all the hops: each result
		// appends at the end of what is used, and is clipped afterwards so that an append
		// by a careless caller copies instead of writing into its neighbour's. A path
		// longer than the room left simply gets its own array. The steps are gathered in
		// scratch space sized for the longest paths, then copied into an array of the size
		// used: Steps are large, and most paths are shorter.
		sp := stepScratch.Get().(*[]Step)
		if need := stepsPerPath * len(needed); cap(*sp) < need {
			*sp = make([]Step, 0, need)
		}
		steps := (*sp)[:0]
		hops := make([]Hop, 0, hopsPerPath*len(needed))
		// at[i] is where result i's steps start in steps, or -1 when it has its own array.
		var atBuf [8]int
		at := atBuf[:0]
		for i, d := range needed {
			r := a.reachLocked(d, steps[len(steps):], hops[len(hops):])
			at = append(at, -1)
			if n := len(r.Steps); n > 0 && len(steps)+n <= cap(steps) && &steps[:len(steps)+n][len(steps)] == &r.Steps[0] {
				at[i] = len(steps)
				steps = steps[:len(steps)+n]
			}
			if n := len(r.Hops); n > 0 && len(hops)+n <= cap(hops) && &hops[:len(hops)+n][len(hops)] == &r.Hops[0] {
				hops = hops[:len(hops)+n]
			}
			r.Steps = slices.Clip(r.Steps)
			r.Hops = slices.Clip(r.Hops)
			// Destinations that share the internet tail have the same hops: one string.
			for j := range rs[:i] {
				if slices.Equal(rs[j].Hops, r.Hops) {
					r.path = rs[j].path
					break
				}
			}
			if r.path == "" {
				r.path = r.joinHops()
			}
			rs[i] = r
		}
		if len(steps) > 0 {
			kept := make([]Step, len(steps))
			copy(kept, steps)
			for i, off := range at {
				if off >= 0 {
					n := len(rs[i].Steps)
					rs[i].Steps = kept[off : off+n : off+n]
				}
			}
		}
		clear(steps) // the scratch space must not keep this analyzer's strings alive
		*sp = steps[:0]
		stepScratch.Put(sp)
		a.results = rs
	})
	return a.results
}

// stepScratch holds the arrays Results gathers steps in: scratch space only, empty between
// analyzers.
var stepScratch = sync.Pool{New: func() any { return new([]Step) }}

// Needed is Needed(snapshot), computed once per analyzer. Shared and read-only.
func (a *Analyzer) Needed() []Destination {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.needed == nil {
		a.needed = neededWith(a.s, a.parse)
		if a.needed == nil {
			a.needed = []Destination{}
		}
	}
	return a.needed
}

// PathLines joins "name: path" lines, one per destination, in the order given: the Path of
// a network finding. The destinations are indexes into Needed(). Most network checks name
// the same destinations, so the string is memoised per analyzer by the set of them.
func (a *Analyzer) PathLines(idx []int) string {
	if len(idx) == 0 {
		return ""
	}
	results := a.Results()
	var set uint64
	memo := true
	for _, i := range idx {
		if i >= 64 {
			memo = false
			break
		}
		set |= 1 << i
	}
	if memo {
		a.mu.Lock()
		for _, p := range a.paths[:a.nPaths] {
			if p.set == set {
				a.mu.Unlock()
				return p.text
			}
		}
		a.mu.Unlock()
	}
	n := 0
	for k, i := range idx {
		if k > 0 {
			n++
		}
		n += len(results[i].Dest.Name()) + len(": ") + len(results[i].Path())
	}
	var b strings.Builder
	b.Grow(n)
	for k, i := range idx {
		if k > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(results[i].Dest.Name())
		b.WriteString(": ")
		b.WriteString(results[i].Path())
	}
	p := b.String()
	if memo {
		a.mu.Lock()
		if a.nPaths < len(a.paths) {
			a.paths[a.nPaths] = pathLines{set, p}
			a.nPaths++
		}
		a.mu.Unlock()
	}
	return p
}

// pathLines is one memoised PathLines answer.
type pathLines struct {
	set  uint64
	text string
}

// InternetVia is how the plain internet path leaves the subnet: Reach(d).Via for an
// internet destination d, without building its Result when another destination already
// followed that path.
func (a *Analyzer) InternetVia() Via {
	if a.setup != nil {
		return ViaNone
	}
	a.mu.Lock()
	t := a.tail(internetTailKey())
	a.mu.Unlock()
	if t != nil {
		return t.via
	}
	return a.Reach(Destination{Service: Internet}).Via
}

// ReachAll evaluates each destination.
func (a *Analyzer) ReachAll(ds []Destination) []Result {
	out := make([]Result, len(ds))
	for i, d := range ds {
		out[i] = a.Reach(d)
	}
	return out
}

// attribute: when the VPC was set up for a private path (ECR or S3 endpoints exist) and an
// endpoint-layer step blocks, the fallback internet path's missing route is a consequence,
// not a second cause: the route-layer steps take the endpoint step's cause.
func (a *Analyzer) attribute(r *Result) {
	if !a.privatePathIntended() {
		return
	}
	var c cause.ID
	for _, st := range r.Steps {
		if st.Status != Blocked {
			continue
		}
		switch st.Layer {
		case LayerEndpoint, LayerPrivateDNS, LayerS3Gateway, LayerDNS:
			if st.Cause == cause.VPCEndpointConfig || st.Cause == cause.S3LayerAccess {
				c = st.Cause
			}
		}
	}
	if c == "" {
		return
	}
	for i := range r.Steps {
		switch r.Steps[i].Layer {
		case LayerRoute, LayerPublicIP, LayerNAT:
			if r.Steps[i].Status == Blocked {
				r.Steps[i].Cause = c
			}
		}
	}
}

// missing is the Unknown step for an input that is absent: a recorded gap names its error.
func (a *Analyzer) missing(l Layer, call, ref, what, whatJA string) Step {
	st := Step{Layer: l, Status: Unknown, Needs: []string{call}}
	if g := a.s.Gap(call, ref); g != nil {
		st.Message = "cannot decide: " + what + " could not be read (" + g.Call + ": " + g.Error + ")"
		st.MessageJA = "判定できません: " + whatJA + "を読み取れませんでした（" + g.Call + ": " + g.Error + "）"
		st.Evidence = []finding.Evidence{{Source: g.Call, Ref: g.Ref, Key: "error", Value: g.Error}}
		return st
	}
	st.Message = "cannot decide: " + what + " is not in the snapshot"
	st.MessageJA = "判定できません: " + whatJA + "がスナップショットにありません"
	if ref != "" {
		st.Evidence = []finding.Evidence{{Source: call, Ref: ref, Key: "present", Value: "false"}}
	}
	return st
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

func firstNonEmpty(v ...string) string {
	for _, s := range v {
		if s != "" {
			return s
		}
	}
	return ""
}
