// Package finding is what a check says about a snapshot, and the report a diagnosis ends
// in. Its JSON form is a contract (DESIGN.md §6).
package finding

import (
	"encoding/json"

	"github.com/pulldoctor/pulldoctor/pkg/cause"
)

// Status is the outcome of one check.
type Status string

// Statuses (contract).
const (
	Fail          Status = "fail"
	Pass          Status = "pass"
	Unknown       Status = "unknown"
	NotApplicable Status = "not-applicable"
)

// Severity says how bad a failing finding is.
type Severity string

// Severities.
const (
	Error   Severity = "error"
	Warning Severity = "warning"
	Info    Severity = "info"
)

// Evidence is one fact from the snapshot that the finding rests on.
type Evidence struct {
	// Source is the API call the fact came from ("ec2:DescribeRouteTables").
	Source string `json:"source"`
	// Ref is the resource (an id or ARN).
	Ref   string `json:"ref,omitempty"`
	Key   string `json:"key,omitempty"`
	Value string `json:"value,omitempty"`
}

// Remediation is the fix, tailored to the resources in the snapshot.
type Remediation struct {
	Text   string `json:"text"`
	TextJA string `json:"-"`
	// Commands are aws CLI commands, ready to paste.
	Commands []string `json:"commands,omitempty"`
	// Policy is a minimal IAM policy document, when the fix is a policy.
	Policy    json.RawMessage `json:"policy"`
	Terraform string          `json:"terraform,omitempty"`
	Links     []string        `json:"links,omitempty"`
}

// Finding is one check's verdict on one subject (a container, a subnet, a secret).
type Finding struct {
	Check    string   `json:"check"`
	Cause    cause.ID `json:"cause"`
	Status   Status   `json:"status"`
	Severity Severity `json:"severity"`
	// Message is English; MessageJA the Japanese text the renderers swap in for --lang ja.
	Message   string `json:"message"`
	MessageJA string `json:"-"`
	// Subject names what the finding is about when a check reports several (a container
	// name, a secret ARN).
	Subject  string     `json:"subject,omitempty"`
	Evidence []Evidence `json:"evidence,omitempty"`
	// Path is a human-readable network path or decision chain, e.g.
	// "subnet-1 → rtb-2 (0.0.0.0/0 → nat-3, available) → igw-6".
	Path string `json:"path,omitempty"`
	// Needs names the permissions that would decide an unknown finding.
	Needs       []string     `json:"needs,omitempty"`
	Remediation *Remediation `json:"remediation,omitempty"`
}

// Localize returns the finding's message in lang ("ja" or anything else for English).
func (f Finding) Localize(lang string) string {
	if lang == "ja" && f.MessageJA != "" {
		return f.MessageJA
	}
	return f.Message
}
