package collect

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/smithy-go"

	"github.com/pulldoctor/pulldoctor/pkg/snapshot"
)

// ErrNotFound is wrapped by Collect's error when the task, service, cluster or task
// definition named in the Target does not exist (or ECS has already forgotten it).
var ErrNotFound = errors.New("not found")

// ErrNoCredentials is wrapped by LoadConfig's error when the default chain finds none.
var ErrNoCredentials = errors.New("no AWS credentials")

// Target names what to collect. Cluster plus Task or Service for a live diagnosis;
// TaskDefinition alone (ARN or family:revision) for preflight --live lookups.
type Target struct {
	Cluster        string
	Task           string
	Service        string
	TaskDefinition string
}

// Options tune LoadConfig and Collect. The zero value works.
type Options struct {
	Region  string
	Profile string
	// Timeout bounds each API call, retries included (default 10s).
	Timeout time.Duration
	// Concurrency bounds the calls in flight (default 16).
	Concurrency int
	// InspectSecretFormat lets the collector read repositoryCredentials secret values to
	// record their shape (snapshot.SecretFormat); the value is dropped at once.
	InspectSecretFormat bool
	// Logf, when set, receives one line per call (debug output).
	Logf func(format string, args ...any)

	// Endpoint overrides every service's endpoint (tests, LocalStack, moto); the
	// AWS_ENDPOINT_URL variables do the same through the default chain.
	Endpoint string
	// Credentials replaces the default credential chain (tests).
	Credentials aws.CredentialsProvider
	// MaxAttempts and MaxBackoff tune the adaptive retryer (0: SDK defaults, 3 attempts).
	MaxAttempts int
	MaxBackoff  time.Duration
	// Clients replaces the SDK clients built from the aws.Config (tests). The read-only
	// guard is then the caller's business.
	Clients *Clients
	// ImageListCap bounds the images listed per repository (default 1000).
	ImageListCap int
}

func (o Options) timeout() time.Duration {
	if o.Timeout > 0 {
		return o.Timeout
	}
	return 10 * time.Second
}

// Stats describes one Collect run.
type Stats struct {
	// Waves is the longest chain of calls that had to wait for one another: the number of
	// sequential round trips on the critical path.
	Waves int `json:"waves"`
	// Calls counts the requests made per action ("ec2:DescribeSubnets"), pages included.
	Calls map[string]int `json:"calls"`
	// Gaps is the number of failed reads.
	Gaps int           `json:"gaps"`
	Wall time.Duration `json:"wallNanos"`
}

// TotalCalls sums Calls.
func (s Stats) TotalCalls() int {
	n := 0
	for _, v := range s.Calls {
		n += v
	}
	return n
}

// LoadConfig loads the SDK configuration the way the aws CLI does (environment, shared
// config and credentials files, profiles, SSO, IMDS/ECS container credentials,
// AWS_ENDPOINT_URL and AWS_ENDPOINT_URL_<SERVICE>), with adaptive retries, and checks that
// credentials and a region are there so the user gets one clear line instead of a failure
// per call.
func LoadConfig(ctx context.Context, o Options) (aws.Config, error) {
	var opts []func(*config.LoadOptions) error
	if o.Region != "" {
		opts = append(opts, config.WithRegion(o.Region))
	}
	if o.Profile != "" {
		opts = append(opts, config.WithSharedConfigProfile(o.Profile))
	}
	if o.Credentials != nil {
		opts = append(opts, config.WithCredentialsProvider(o.Credentials))
	}
	if o.Endpoint != "" {
		opts = append(opts, config.WithBaseEndpoint(o.Endpoint))
	}
	opts = append(opts, config.WithRetryer(func() aws.Retryer {
		return retry.NewAdaptiveMode(func(ao *retry.AdaptiveModeOptions) {
			ao.StandardOptions = append(ao.StandardOptions, func(so *retry.StandardOptions) {
				if o.MaxAttempts > 0 {
					so.MaxAttempts = o.MaxAttempts
				}
				if o.MaxBackoff > 0 {
					so.MaxBackoff = o.MaxBackoff
				}
			})
		})
	}))
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return aws.Config{}, fmt.Errorf("load AWS configuration: %w", err)
	}
	if cfg.Region == "" {
		return aws.Config{}, errors.New("no AWS region: pass --region or set AWS_REGION (or region in your profile)")
	}
	cctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	if cfg.Credentials == nil {
		return aws.Config{}, noCredentials(nil)
	}
	if _, err := cfg.Credentials.Retrieve(cctx); err != nil {
		if ctx.Err() != nil {
			// The overall time limit ran out while credentials were being resolved (SSO,
			// IMDS, a credential process): that is not "no credentials".
			return aws.Config{}, fmt.Errorf("load AWS credentials: %w (raise --timeout)", ctx.Err())
		}
		return aws.Config{}, noCredentials(err)
	}
	return cfg, nil
}

func noCredentials(cause error) error {
	msg := "no AWS credentials found: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, pass --profile (after `aws configure` or `aws sso login`), or run with an instance or task role"
	if cause != nil {
		return fmt.Errorf("%s (%w: %v)", msg, ErrNoCredentials, firstLine(cause.Error()))
	}
	return fmt.Errorf("%s (%w)", msg, ErrNoCredentials)
}

// Collect reads everything the checks need about t. It returns an error only when the
// target does not exist (wrapping ErrNotFound), the target is empty, or ctx ends; every
// other failure is a Gap in the snapshot.
func Collect(ctx context.Context, cfg aws.Config, t Target, o Options) (*snapshot.Snapshot, Stats, error) {
	if t.Task == "" && t.Service == "" && t.TaskDefinition == "" {
		return nil, Stats{}, errors.New("collect: name a task, a service or a task definition")
	}
	t, _, err := Resolve(t, cfg.Region)
	if err != nil {
		return nil, Stats{}, err
	}
	if (t.Task != "" || t.Service != "") && t.Cluster == "" {
		t.Cluster = "default"
	}
	cl := o.Clients
	if cl == nil {
		cl = NewClients(cfg, o)
	}
	c := newCollector(cfg.Region, cl, o)
	s := c.snap
	s.Target = snapshot.Target{Cluster: t.Cluster, Task: t.Task, Service: t.Service, TaskDefinition: t.TaskDefinition, Region: cfg.Region}

	c.spawn(func() { c.callerIdentity(ctx) })
	c.spawn(func() { c.s3PrefixList(ctx, 0) })
	if t.Cluster != "" {
		c.spawn(func() { c.cluster(ctx, 0, t.Cluster) })
	}
	switch {
	case t.Task != "":
		c.spawn(func() { c.task(ctx, t.Cluster, t.Task) })
	case t.Service != "":
		c.spawn(func() { c.service(ctx, t.Cluster, t.Service) })
	default:
		c.spawn(func() { c.taskDefinition(ctx, 0, t.TaskDefinition) })
	}
	c.wg.Wait()
	c.finish()
	st := Stats{Waves: c.maxDepth, Calls: c.calls, Gaps: len(s.Gaps), Wall: time.Since(c.start)}
	if c.fatal != nil {
		return nil, st, c.fatal
	}
	if err := ctx.Err(); err != nil {
		return nil, st, fmt.Errorf("collect: %w", err)
	}
	if err := unreadTarget(s, t); err != nil {
		return nil, st, err
	}
	return s, st, nil
}

// ErrUnreadable is wrapped by Collect's error when the task or service itself could not be
// read (AccessDenied, throttling, a timeout): with nothing to diagnose, a report of passes
// and unknowns would read as a clean bill of health.
var ErrUnreadable = errors.New("could not be read")

// unreadTarget reports a task or service target of which nothing was read, naming the
// failed call so the user knows which permission to add.
func unreadTarget(s *snapshot.Snapshot, t Target) error {
	if t.Task == "" && t.Service == "" || s.Task != nil || s.Service != nil {
		return nil
	}
	what := fmt.Sprintf("task %q in cluster %q", t.Task, t.Cluster)
	calls := []string{"ecs:DescribeTasks"}
	if t.Service != "" {
		what = fmt.Sprintf("service %q in cluster %q", t.Service, t.Cluster)
		calls = []string{"ecs:DescribeServices", "ecs:ListTasks", "ecs:DescribeTasks"}
	}
	for _, call := range calls {
		for _, g := range s.Gaps {
			if g.Call == call {
				return fmt.Errorf("%s %w: %s failed with %s: %s", what, ErrUnreadable, call, g.Error, g.Message)
			}
		}
	}
	return fmt.Errorf("%s %w (%s answered nothing)", what, ErrUnreadable, strings.Join(calls, ", "))
}

// collector is one Collect run: the snapshot under construction, the memo of what was
// already asked, and the accounting.
type collector struct {
	region string
	cl     *Clients
	o      Options
	sem    chan struct{}
	wg     sync.WaitGroup
	start  time.Time

	mu          sync.Mutex
	snap        *snapshot.Snapshot
	seen        map[string]bool
	calls       map[string]int
	maxDepth    int
	fatal       error
	roles       []*snapshot.Role
	vpcs        []*snapshot.VPC
	prefixLists map[string]*snapshot.PrefixList
	repos       []*repoState
	secrets     []*snapshot.Secret
	callerAcct  string
	futures     map[string]*future
	// accountFromTask is the task's (or service's) account, preferred over the caller's.
	accountFromTask string
}

func newCollector(region string, cl *Clients, o Options) *collector {
	n := o.Concurrency
	if n <= 0 {
		n = 16
	}
	return &collector{
		region: region,
		cl:     cl,
		o:      o,
		sem:    make(chan struct{}, n),
		start:  time.Now(),
		snap: &snapshot.Snapshot{
			SchemaVersion: snapshot.SchemaVersion,
			CollectedAt:   time.Now().UTC().Format(time.RFC3339),
			Source:        "live",
			Region:        region,
			ECR:           snapshot.ECR{ImagePlatforms: map[string][]string{}},
		},
		seen:        map[string]bool{},
		futures:     map[string]*future{},
		prefixLists: map[string]*snapshot.PrefixList{},
		calls:       map[string]int{},
	}
}

// spawn runs fn concurrently; Collect waits for every spawned function.
func (c *collector) spawn(fn func()) {
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		fn()
	}()
}

// once reports whether key is new, marking it seen: the memo that keeps any resource from
// being read twice.
func (c *collector) once(key string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.seen[key] {
		return false
	}
	c.seen[key] = true
	return true
}

type future struct {
	done chan struct{}
	val  any
}

// future computes fn once per key; later callers wait for the first one's result. It is
// the memo for reads whose result several branches need (a managed policy two roles
// attach, a KMS key two secrets use).
func (c *collector) future(key string, fn func() any) any {
	c.mu.Lock()
	f, ok := c.futures[key]
	if !ok {
		f = &future{done: make(chan struct{})}
		c.futures[key] = f
	}
	c.mu.Unlock()
	if ok {
		<-f.done
		return f.val
	}
	defer close(f.done)
	f.val = fn()
	return f.val
}

// with runs fn with the snapshot locked.
func (c *collector) with(fn func(s *snapshot.Snapshot)) {
	c.mu.Lock()
	defer c.mu.Unlock()
	fn(c.snap)
}

func (c *collector) setFatal(err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.fatal == nil {
		c.fatal = err
	}
}

// call makes one request: depth is the number of requests the caller had to wait for, so
// this one is request depth+1 on its chain. A failure becomes a Gap (unless quiet says the
// error is an expected answer) and is returned.
func (c *collector) call(ctx context.Context, depth int, action, ref string, fn func(ctx context.Context) error, quiet ...func(error) bool) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	select {
	case c.sem <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	cctx, cancel := context.WithTimeout(ctx, c.o.timeout())
	t0 := time.Now()
	err := fn(cctx)
	cancel()
	<-c.sem
	c.mu.Lock()
	c.calls[action]++
	if depth+1 > c.maxDepth {
		c.maxDepth = depth + 1
	}
	c.mu.Unlock()
	if c.o.Logf != nil {
		c.o.Logf("%-45s %-40s wave %d  %v  %s", action, ref, depth+1, time.Since(t0).Round(time.Millisecond), errText(err))
	}
	if err == nil {
		return nil
	}
	for _, q := range quiet {
		if q(err) {
			return err
		}
	}
	if ctx.Err() != nil {
		return err // the whole run was cancelled: not a gap about this call
	}
	g := gapFor(action, ref, err)
	c.with(func(s *snapshot.Snapshot) { s.AddGap(g) })
	return err
}

func errText(err error) string {
	if err == nil {
		return "ok"
	}
	return firstLine(err.Error())
}

// gapFor turns an SDK error into a Gap with the AWS error code.
func gapFor(action, ref string, err error) snapshot.Gap {
	code := errorCode(err)
	msg := err.Error()
	var ae smithy.APIError
	if errors.As(err, &ae) && ae.ErrorMessage() != "" {
		msg = ae.ErrorMessage()
	}
	return snapshot.Gap{Call: action, Error: code, Message: firstLine(msg), Ref: ref}
}

// errorCode is the AWS error code of err, or a stable stand-in for transport failures.
func errorCode(err error) string {
	var ro *ReadOnlyError
	var ae smithy.APIError
	var re *awshttp.ResponseError
	switch {
	case errors.As(err, &ro):
		return "ReadOnlyRefused"
	case errors.As(err, &ae) && ae.ErrorCode() != "":
		return ae.ErrorCode()
	case errors.Is(err, context.DeadlineExceeded):
		return "Timeout"
	case errors.As(err, &re) && re.HTTPStatusCode() != 0:
		return fmt.Sprintf("HTTP%d", re.HTTPStatusCode())
	case errors.As(err, new(*retry.MaxAttemptsError)):
		return "MaxAttemptsExceeded"
	}
	return "RequestError"
}

func isCode(codes ...string) func(error) bool {
	return func(err error) bool {
		var ae smithy.APIError
		if !errors.As(err, &ae) {
			return false
		}
		for _, c := range codes {
			if ae.ErrorCode() == c {
				return true
			}
		}
		return false
	}
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	if len(s) > 500 {
		s = s[:500] + "..."
	}
	return s
}

// finish fills what depends on everything else and sorts lists, so two runs over the same
// account give the same file.
func (c *collector) finish() {
	s := c.snap
	s.Account = c.accountFromTask
	if s.Account == "" {
		s.Account = c.callerAcct
	}
	for _, v := range c.vpcs {
		s.Network.Vpcs = append(s.Network.Vpcs, *v)
	}
	for _, pl := range c.prefixLists {
		s.Network.PrefixLists = append(s.Network.PrefixLists, *pl)
	}
	for _, sec := range c.secrets {
		s.Secrets = append(s.Secrets, *sec)
	}
	for _, r := range c.repos {
		if r.found {
			s.ECR.Repositories = append(s.ECR.Repositories, r.repo)
		}
	}
	if s.Partition == "" {
		s.Partition = "aws"
		if p := arnPart(s.CallerARN, 1); p != "" {
			s.Partition = p
		}
	}
	s.Target.Account = s.Account
	for _, r := range c.roles {
		s.Roles = append(s.Roles, *r)
	}
	s.StoppedReason = stoppedReason(s)
	if len(s.ECR.ImagePlatforms) == 0 {
		s.ECR.ImagePlatforms = nil
	}
	n := &s.Network
	sortBy(n.Vpcs, func(v snapshot.VPC) string { return aws.ToString(v.VpcId) })
	sortBy(n.Subnets, func(v subnet) string { return aws.ToString(v.SubnetId) })
	sortBy(n.RouteTables, func(v routeTable) string { return aws.ToString(v.RouteTableId) })
	sortBy(n.InternetGateways, func(v igw) string { return aws.ToString(v.InternetGatewayId) })
	sortBy(n.EgressOnlyInternetGateways, func(v eigw) string { return aws.ToString(v.EgressOnlyInternetGatewayId) })
	sortBy(n.NatGateways, func(v nat) string { return aws.ToString(v.NatGatewayId) })
	sortBy(n.VpcEndpoints, func(v vpce) string { return aws.ToString(v.VpcEndpointId) })
	sortBy(n.SecurityGroups, func(v sg) string { return aws.ToString(v.GroupId) })
	sortBy(n.NetworkAcls, func(v nacl) string { return aws.ToString(v.NetworkAclId) })
	sortBy(n.PrefixLists, func(v snapshot.PrefixList) string { return v.PrefixListID })
	sortBy(n.DhcpOptions, func(v dhcp) string { return aws.ToString(v.DhcpOptionsId) })
	sortBy(n.NetworkInterfaces, func(v eni) string { return aws.ToString(v.NetworkInterfaceId) })
	sortBy(s.Roles, func(v snapshot.Role) string { return v.ARN })
	for i := range s.Roles {
		sortBy(s.Roles[i].AttachedPolicies, func(p snapshot.Policy) string { return p.ARN })
		sortBy(s.Roles[i].InlinePolicies, func(p snapshot.Policy) string { return p.Name })
	}
	sortBy(s.ECR.Repositories, func(r snapshot.Repository) string { return aws.ToString(r.RepositoryArn) })
	sortBy(s.ECR.Images, func(d imageDetail) string {
		return aws.ToString(d.RegistryId) + "/" + aws.ToString(d.RepositoryName) + "@" + aws.ToString(d.ImageDigest)
	})
	sortBy(s.Secrets, func(v snapshot.Secret) string { return v.ARN })
	sortBy(s.Parameters, func(v snapshot.Parameter) string { return v.Name })
	sortBy(s.KMSKeys, func(v snapshot.KMSKey) string { return v.ARN })
	sort.SliceStable(s.Gaps, func(i, j int) bool {
		if s.Gaps[i].Call != s.Gaps[j].Call {
			return s.Gaps[i].Call < s.Gaps[j].Call
		}
		return s.Gaps[i].Ref < s.Gaps[j].Ref
	})
}

func sortBy[T any](xs []T, key func(T) string) {
	sort.SliceStable(xs, func(i, j int) bool { return key(xs[i]) < key(xs[j]) })
}

// arnPart returns field i of an ARN (1 partition, 2 service, 3 region, 4 account, 5 resource).
func arnPart(arn string, i int) string {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) < 6 || parts[0] != "arn" {
		return ""
	}
	return parts[i]
}
