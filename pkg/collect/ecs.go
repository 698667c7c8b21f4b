package collect

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/pulldoctor/pulldoctor/pkg/snapshot"
)

// Redacted replaces environment variable values: a snapshot file is shared in tickets and
// chat, and environment values are where people put tokens.
const Redacted = "REDACTED"

func (c *collector) cluster(ctx context.Context, depth int, name string) {
	if !c.once("cluster:" + name) {
		return
	}
	var out *ecs.DescribeClustersOutput
	err := c.call(ctx, depth, "ecs:DescribeClusters", name, func(ctx context.Context) (err error) {
		out, err = c.cl.ECS.DescribeClusters(ctx, &ecs.DescribeClustersInput{Clusters: []string{name}})
		return err
	})
	if err != nil {
		return
	}
	for _, f := range out.Failures {
		if aws.ToString(f.Reason) == "MISSING" {
			c.setFatal(fmt.Errorf("cluster %q: %w in region %s (check --cluster and --region)", name, ErrNotFound, c.region))
			return
		}
	}
	if len(out.Clusters) > 0 {
		cl := out.Clusters[0]
		c.with(func(s *snapshot.Snapshot) { s.Cluster = &cl })
	}
}

func (c *collector) task(ctx context.Context, cluster, id string) {
	var out *ecs.DescribeTasksOutput
	err := c.call(ctx, 0, "ecs:DescribeTasks", id, func(ctx context.Context) (err error) {
		out, err = c.cl.ECS.DescribeTasks(ctx, &ecs.DescribeTasksInput{Cluster: &cluster, Tasks: []string{id}})
		return err
	}, isCode("ClusterNotFoundException"))
	if err != nil {
		if isCode("ClusterNotFoundException")(err) {
			c.setFatal(fmt.Errorf("cluster %q: %w in region %s (check --cluster and --region)", cluster, ErrNotFound, c.region))
		}
		return
	}
	if len(out.Tasks) == 0 {
		c.setFatal(fmt.Errorf("task %q in cluster %q: %w (ECS keeps a stopped task for about an hour; for an older failure use --service)", id, cluster, ErrNotFound))
		return
	}
	c.useTask(ctx, 1, cluster, out.Tasks[0])
}

// useTask records the task and starts everything that hangs off it.
func (c *collector) useTask(ctx context.Context, depth int, cluster string, t ecstypes.Task) {
	redactOverrides(&t)
	if a := arnPart(aws.ToString(t.TaskArn), 4); a != "" {
		c.mu.Lock()
		c.accountFromTask = a
		c.mu.Unlock()
	}
	c.with(func(s *snapshot.Snapshot) {
		s.Task = &t
		if s.Target.Task == "" {
			s.Target.Task = aws.ToString(t.TaskArn)
		}
	})
	if td := aws.ToString(t.TaskDefinitionArn); td != "" {
		c.spawn(func() { c.taskDefinition(ctx, depth, td) })
	}
	for _, a := range t.Attachments {
		if aws.ToString(a.Type) != "ElasticNetworkInterface" {
			continue
		}
		for _, d := range a.Details {
			v := aws.ToString(d.Value)
			switch aws.ToString(d.Name) {
			case "subnetId":
				c.spawn(func() { c.subnets(ctx, depth, []string{v}) })
			case "networkInterfaceId":
				c.spawn(func() { c.networkInterface(ctx, depth, v) })
			}
		}
	}
	if ci := aws.ToString(t.ContainerInstanceArn); ci != "" {
		c.spawn(func() { c.containerInstance(ctx, depth, cluster, ci) })
	}
	// A task a service started carries group "service:NAME"; the service holds the network
	// configuration (assignPublicIp) and the events that a stopped task no longer shows.
	if name, ok := strings.CutPrefix(aws.ToString(t.Group), "service:"); ok && name != "" {
		c.spawn(func() { c.describeService(ctx, depth, cluster, name, false) })
	}
}

func (c *collector) service(ctx context.Context, cluster, name string) {
	c.spawn(func() { c.stoppedTasks(ctx, cluster, name) })
	c.describeService(ctx, 0, cluster, name, true)
}

// describeService reads a service: its events, task definition and network configuration
// (assignPublicIp is known only there once a stopped task's ENI is gone). For --service a
// missing service or cluster is fatal; for the service a task belongs to it is not.
func (c *collector) describeService(ctx context.Context, depth int, cluster, name string, fatal bool) {
	if !c.once("service:" + cluster + "/" + name) {
		return
	}
	var out *ecs.DescribeServicesOutput
	err := c.call(ctx, depth, "ecs:DescribeServices", name, func(ctx context.Context) (err error) {
		out, err = c.cl.ECS.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: &cluster, Services: []string{name}})
		return err
	}, isCode("ClusterNotFoundException", "ServiceNotFoundException"))
	if err != nil {
		if !fatal {
			return
		}
		if isCode("ClusterNotFoundException")(err) {
			c.setFatal(fmt.Errorf("cluster %q: %w in region %s (check --cluster and --region)", cluster, ErrNotFound, c.region))
		} else if isCode("ServiceNotFoundException")(err) {
			c.setFatal(fmt.Errorf("service %q in cluster %q: %w", name, cluster, ErrNotFound))
		}
		return
	}
	if len(out.Services) == 0 {
		if fatal {
			c.setFatal(fmt.Errorf("service %q in cluster %q: %w", name, cluster, ErrNotFound))
		}
		return
	}
	svc := out.Services[0]
	if a := arnPart(aws.ToString(svc.ServiceArn), 4); a != "" {
		c.mu.Lock()
		if c.accountFromTask == "" {
			c.accountFromTask = a
		}
		c.mu.Unlock()
	}
	c.with(func(s *snapshot.Snapshot) { s.Service = &svc })
	// The service's own task definition and network configuration are read right away,
	// in parallel with the stopped tasks: usually they are the stopped task's too (the
	// memo makes the second ask free), and when ECS has forgotten the stopped tasks they
	// are all there is to diagnose from.
	d := depth + 1
	if td := aws.ToString(svc.TaskDefinition); td != "" && fatal {
		// For a task's own service the task's revision is what ran; the service may have
		// moved on since.
		c.spawn(func() { c.taskDefinition(ctx, d, td) })
	}
	if nc := svc.NetworkConfiguration; nc != nil && nc.AwsvpcConfiguration != nil {
		subnets, groups := nc.AwsvpcConfiguration.Subnets, nc.AwsvpcConfiguration.SecurityGroups
		c.spawn(func() { c.subnets(ctx, d, subnets) })
		c.spawn(func() { c.securityGroups(ctx, d, groups) })
	}
}

// stoppedTasks finds the service's most recent stopped task with a stopped reason.
func (c *collector) stoppedTasks(ctx context.Context, cluster, service string) {
	var list *ecs.ListTasksOutput
	err := c.call(ctx, 0, "ecs:ListTasks", service, func(ctx context.Context) (err error) {
		list, err = c.cl.ECS.ListTasks(ctx, &ecs.ListTasksInput{
			Cluster: &cluster, ServiceName: &service, DesiredStatus: ecstypes.DesiredStatusStopped, MaxResults: aws.Int32(100),
		})
		return err
	}, isCode("ClusterNotFoundException", "ServiceNotFoundException"))
	if err != nil || len(list.TaskArns) == 0 {
		return
	}
	var out *ecs.DescribeTasksOutput
	if err := c.call(ctx, 1, "ecs:DescribeTasks", service, func(ctx context.Context) (err error) {
		out, err = c.cl.ECS.DescribeTasks(ctx, &ecs.DescribeTasksInput{Cluster: &cluster, Tasks: list.TaskArns})
		return err
	}); err != nil {
		return
	}
	if t, ok := newestStopped(out.Tasks); ok {
		c.useTask(ctx, 2, cluster, t)
	}
}

// newestStopped prefers the newest task with a stopped reason, then the newest at all.
func newestStopped(ts []ecstypes.Task) (ecstypes.Task, bool) {
	best := -1
	newer := func(i, j int) bool { // is ts[i] newer than ts[j]
		a, b := taskTime(ts[i]), taskTime(ts[j])
		return a.After(b)
	}
	for i := range ts {
		if best < 0 {
			best = i
			continue
		}
		hi, hb := aws.ToString(ts[i].StoppedReason) != "", aws.ToString(ts[best].StoppedReason) != ""
		if (hi && !hb) || (hi == hb && newer(i, best)) {
			best = i
		}
	}
	if best < 0 {
		return ecstypes.Task{}, false
	}
	return ts[best], true
}

func taskTime(t ecstypes.Task) (tm awsTime) {
	for _, p := range []*awsTime{t.StoppedAt, t.StoppingAt, t.CreatedAt} {
		if p != nil {
			return *p
		}
	}
	return tm
}

func (c *collector) taskDefinition(ctx context.Context, depth int, ref string) {
	if !c.once("taskdef:" + ref) {
		return
	}
	var out *ecs.DescribeTaskDefinitionOutput
	err := c.call(ctx, depth, "ecs:DescribeTaskDefinition", ref, func(ctx context.Context) (err error) {
		out, err = c.cl.ECS.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: &ref})
		return err
	})
	if err != nil {
		c.mu.Lock()
		tdTarget := c.snap.Target.TaskDefinition == ref && c.snap.Target.Task == "" && c.snap.Target.Service == ""
		c.mu.Unlock()
		if tdTarget && isCode("ClientException")(err) {
			c.setFatal(fmt.Errorf("task definition %q: %w in region %s", ref, ErrNotFound, c.region))
		}
		return
	}
	td := out.TaskDefinition
	if td == nil {
		return
	}
	redactTaskDefinition(td)
	c.with(func(s *snapshot.Snapshot) {
		// The stopped task's own revision wins over the service's current one.
		if s.TaskDefinition == nil || (s.Task != nil && aws.ToString(s.Task.TaskDefinitionArn) == aws.ToString(td.TaskDefinitionArn)) {
			s.TaskDefinition = td
		}
		if s.Account == "" && c.accountFromTask == "" {
			c.accountFromTask = arnPart(aws.ToString(td.TaskDefinitionArn), 4)
		}
	})
	d := depth + 1
	if r := aws.ToString(td.ExecutionRoleArn); r != "" {
		c.spawn(func() { c.role(ctx, d, r, nil) })
	}
	for _, cd := range td.ContainerDefinitions {
		if img := aws.ToString(cd.Image); img != "" {
			c.spawn(func() { c.image(ctx, d, img) })
		}
		if rc := cd.RepositoryCredentials; rc != nil && aws.ToString(rc.CredentialsParameter) != "" {
			ref := aws.ToString(rc.CredentialsParameter)
			c.spawn(func() { c.secret(ctx, d, ref, true) })
		}
		for _, sec := range cd.Secrets {
			c.secretRef(ctx, d, aws.ToString(sec.ValueFrom))
		}
		if lc := cd.LogConfiguration; lc != nil && lc.LogDriver == ecstypes.LogDriverAwslogs {
			if group := lc.Options["awslogs-group"]; group != "" {
				region := lc.Options["awslogs-region"]
				c.spawn(func() { c.logGroup(ctx, d, region, group) })
			}
		}
	}
}

// secretRef dispatches a container secret's valueFrom: a Secrets Manager ARN, an SSM ARN,
// or a bare parameter name (ECS reads bare names from SSM Parameter Store).
func (c *collector) secretRef(ctx context.Context, depth int, ref string) {
	switch {
	case ref == "":
	case arnPart(ref, 2) == "secretsmanager":
		c.spawn(func() { c.secret(ctx, depth, ref, false) })
	default:
		c.spawn(func() { c.parameter(ctx, depth, ref) })
	}
}

func (c *collector) containerInstance(ctx context.Context, depth int, cluster, arn string) {
	if !c.once("ci:" + arn) {
		return
	}
	var out *ecs.DescribeContainerInstancesOutput
	if err := c.call(ctx, depth, "ecs:DescribeContainerInstances", arn, func(ctx context.Context) (err error) {
		out, err = c.cl.ECS.DescribeContainerInstances(ctx, &ecs.DescribeContainerInstancesInput{Cluster: &cluster, ContainerInstances: []string{arn}})
		return err
	}); err != nil || len(out.ContainerInstances) == 0 {
		return
	}
	ci := out.ContainerInstances[0]
	c.with(func(s *snapshot.Snapshot) { s.ContainerInstance = &ci })
	if id := aws.ToString(ci.Ec2InstanceId); id != "" {
		c.spawn(func() { c.instance(ctx, depth+1, id) })
	}
}

func redactTaskDefinition(td *ecstypes.TaskDefinition) {
	for i := range td.ContainerDefinitions {
		redactEnv(td.ContainerDefinitions[i].Environment)
	}
}

func redactOverrides(t *ecstypes.Task) {
	if t.Overrides == nil {
		return
	}
	for i := range t.Overrides.ContainerOverrides {
		redactEnv(t.Overrides.ContainerOverrides[i].Environment)
	}
}

func redactEnv(env []ecstypes.KeyValuePair) {
	for i := range env {
		if env[i].Value != nil {
			env[i].Value = aws.String(Redacted)
		}
	}
}

// tellingWords mark a reason that says something about a pull, as opposed to the generic
// "Essential container in task exited" or "Task failed to start".
var tellingWords = []string{
	"cannotpull", "resourceinitialization", "pull", "image", "manifest", "registry", "secret",
	"denied", "unauthorized", "toomanyrequests", "timeout", "no space", "unable", "failed to",
	"error",
}

func telling(s string) bool {
	l := strings.ToLower(s)
	if l == "" {
		return false
	}
	for _, w := range tellingWords {
		if strings.Contains(l, w) {
			return true
		}
	}
	return false
}

// stoppedReason picks the text to explain: ECS often puts the real error
// (CannotPullContainerError …) in containers[].reason while the task says only "Task failed
// to start", and when the stopped tasks are gone the service events are all that is left.
func stoppedReason(s *snapshot.Snapshot) string {
	var taskReason string
	var containerReasons []string
	if s.Task != nil {
		taskReason = aws.ToString(s.Task.StoppedReason)
		for _, ct := range s.Task.Containers {
			if r := aws.ToString(ct.Reason); r != "" {
				containerReasons = append(containerReasons, r)
			}
		}
	}
	var events []string
	if s.Service != nil {
		for _, e := range s.Service.Events { // newest first, as ECS returns them
			events = append(events, aws.ToString(e.Message))
		}
	}
	if telling(taskReason) && !genericTaskReason(taskReason) {
		return taskReason
	}
	for _, r := range containerReasons {
		if telling(r) {
			return r
		}
	}
	if telling(taskReason) {
		return taskReason
	}
	if s.Task == nil {
		for _, e := range events {
			if telling(e) {
				return e
			}
		}
	}
	if taskReason != "" {
		return taskReason
	}
	if len(containerReasons) > 0 {
		return containerReasons[0]
	}
	return ""
}

func genericTaskReason(r string) bool {
	l := strings.ToLower(r)
	return strings.HasPrefix(l, "task failed to start") || strings.HasPrefix(l, "essential container in task exited")
}

// ClusterServices lists one cluster's services (for scan).
type ClusterServices struct {
	Cluster  string
	Services []string
	// Err is set when the cluster's services could not be listed.
	Err error
}

// ListServices lists the services of each cluster, or of every cluster in the region when
// clusters is empty. It is read-only like Collect.
func ListServices(ctx context.Context, cfg aws.Config, clusters []string, o Options) ([]ClusterServices, error) {
	cl := o.Clients
	if cl == nil {
		cl = NewClients(cfg, o)
	}
	named := len(clusters) > 0
	if !named {
		p := ecs.NewListClustersPaginator(cl.ECS, &ecs.ListClustersInput{})
		for p.HasMorePages() {
			out, err := p.NextPage(ctx)
			if err != nil {
				return nil, fmt.Errorf("list clusters: %w", err)
			}
			clusters = append(clusters, out.ClusterArns...)
		}
	}
	res := make([]ClusterServices, len(clusters))
	c := newCollector(cfg.Region, cl, o)
	missing := map[string]bool{}
	if named && len(clusters) > 0 {
		// ListServices on a cluster that does not exist may answer an empty list; ask
		// DescribeClusters so a misspelt --cluster is reported, not scanned as empty.
		var out *ecs.DescribeClustersOutput
		if err := c.call(ctx, 0, "ecs:DescribeClusters", strings.Join(clusters, ","), func(ctx context.Context) (err error) {
			out, err = cl.ECS.DescribeClusters(ctx, &ecs.DescribeClustersInput{Clusters: clusters})
			return err
		}); err == nil {
			for _, f := range out.Failures {
				if aws.ToString(f.Reason) == "MISSING" {
					missing[lastPathElement(aws.ToString(f.Arn))] = true
				}
			}
		}
	}
	for i, name := range clusters {
		res[i].Cluster = name
		if missing[lastPathElement(name)] {
			res[i].Err = fmt.Errorf("cluster %q: %w in region %s", name, ErrNotFound, cfg.Region)
			continue
		}
		c.spawn(func() {
			p := ecs.NewListServicesPaginator(cl.ECS, &ecs.ListServicesInput{Cluster: aws.String(name)})
			for p.HasMorePages() {
				var out *ecs.ListServicesOutput
				err := c.call(ctx, 0, "ecs:ListServices", name, func(ctx context.Context) (err error) {
					out, err = p.NextPage(ctx)
					return err
				})
				if err != nil {
					if isCode("ClusterNotFoundException")(err) {
						err = fmt.Errorf("cluster %q: %w", name, ErrNotFound)
					}
					res[i].Err = fmt.Errorf("list services of %s: %w", name, err)
					return
				}
				res[i].Services = append(res[i].Services, out.ServiceArns...)
			}
		})
	}
	c.wg.Wait()
	if err := ctx.Err(); err != nil {
		return res, err
	}
	return res, nil
}

// lastPathElement is "prod" for "arn:aws:ecs:r:1:cluster/prod" and for "prod".
func lastPathElement(s string) string {
	if i := strings.LastIndexByte(s, '/'); i >= 0 {
		return s[i+1:]
	}
	return s
}
