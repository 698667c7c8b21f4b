package collect

import (
	"errors"
	"strings"
	"testing"
)

func TestResolve(t *testing.T) {
	const (
		task    = "arn:aws:ecs:us-east-1:123456789012:task/prod/0123456789abcdef0123456789abcdef"
		oldTask = "arn:aws:ecs:us-east-1:123456789012:task/6d2c1f1e-93e5-4b8e-9a5b-1c2d3e4f5a6b"
		svc     = "arn:aws:ecs:us-east-1:123456789012:service/prod/web"
		cluster = "arn:aws:ecs:us-east-1:123456789012:cluster/prod"
	)
	tests := []struct {
		name        string
		in          Target
		region      string
		wantCluster string
		wantRegion  string
		wantErr     string // substring; "" means no error
	}{
		{name: "names", in: Target{Cluster: "prod", Task: "0123456789abcdef0123456789abcdef"}, wantCluster: "prod"},
		{name: "task ARN names its cluster", in: Target{Task: task}, wantCluster: "prod", wantRegion: "us-east-1"},
		{name: "service ARN names its cluster", in: Target{Service: svc}, wantCluster: "prod", wantRegion: "us-east-1"},
		{name: "old-format task ARN has no cluster", in: Target{Task: oldTask}, wantCluster: "", wantRegion: "us-east-1"},
		{name: "cluster ARN and task ARN agree", in: Target{Cluster: cluster, Task: task}, region: "us-east-1", wantCluster: cluster, wantRegion: "us-east-1"},
		{name: "task ARN of another cluster", in: Target{Cluster: "staging", Task: task}, wantErr: `cluster "prod", not "staging"`},
		{name: "task ARN of another cluster ARN", in: Target{Cluster: "arn:aws:ecs:us-east-1:123456789012:cluster/staging", Task: task}, wantErr: "pass --cluster prod"},
		{name: "task ARN of another region", in: Target{Task: task}, region: "eu-west-1", wantErr: "pass --region us-east-1"},
		{name: "cluster and task in different regions", in: Target{Cluster: "arn:aws:ecs:eu-west-1:123456789012:cluster/prod", Task: task}, wantErr: "eu-west-1"},
		{name: "truncated task ARN", in: Target{Cluster: "prod", Task: "arn:aws:ecs:us-east-1:123456789012:task"}, wantErr: "not an ECS task ARN"},
		{name: "service ARN as task", in: Target{Task: svc}, wantErr: "not an ECS task ARN"},
		{name: "ARN of another service", in: Target{Cluster: "prod", Task: "arn:aws:ec2:us-east-1:123456789012:instance/i-0123"}, wantErr: "not an ECS task ARN"},
		{name: "path as task id", in: Target{Cluster: "prod", Task: "../../etc/passwd"}, wantErr: "not a task id"},
		{name: "quoted service name", in: Target{Cluster: "prod", Service: `"web"`}, wantErr: "not a service id"},
		{name: "cluster with a space", in: Target{Cluster: "my cluster", Task: "0123"}, wantErr: "not a cluster name"},
		{name: "malformed cluster ARN", in: Target{Cluster: "arn:aws:ecs:us-east-1:123456789012:prod", Task: "0123"}, wantErr: "not an ECS cluster ARN"},
		{name: "task definition only", in: Target{TaskDefinition: "web:3"}, wantCluster: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, region, err := Resolve(tt.in, tt.region)
			if tt.wantErr != "" {
				if err == nil || !errors.Is(err, ErrBadTarget) || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want ErrBadTarget containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Cluster != tt.wantCluster || region != tt.wantRegion {
				t.Errorf("cluster %q region %q, want %q %q", got.Cluster, region, tt.wantCluster, tt.wantRegion)
			}
		})
	}
}
