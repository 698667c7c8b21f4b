package awstest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
)

// jsonTargets maps the X-Amz-Target prefix of the awsJson1_1 services to IAM prefixes.
var jsonTargets = map[string]string{
	"AmazonEC2ContainerServiceV20141113":   "ecs",
	"AmazonEC2ContainerRegistry_V20150921": "ecr",
	"secretsmanager":                       "secretsmanager",
	"TrentService":                         "kms",
	"AmazonSSM":                            "ssm",
	"Logs_20140328":                        "logs",
}

var scopeRE = regexp.MustCompile(`Credential=[^/]+/\d{8}/[^/]+/([^/]+)/aws4_request`)

// Call is one request as the proxy understood it.
type Call struct {
	// Action is "service:Operation", e.g. "ec2:DescribeVpcEndpoints".
	Action  string
	Service string
	Op      string
	// JSON is the request body of an awsJson1_1 call; Form the parameters of a query call.
	JSON map[string]any
	Form url.Values
}

// Reply is a response the proxy sends instead of forwarding.
type Reply struct {
	Status int
	Header http.Header
	Body   []byte
	// Delay is slept before answering (timeouts).
	Delay time.Duration
}

// Proxy is an HTTP endpoint speaking the AWS wire protocols. With an Upstream it forwards
// what its hooks do not answer (to moto); without one it is a pure fake that answers
// unhandled calls with a protocol-accurate error.
type Proxy struct {
	Upstream string
	// Latency is added to every request (a round trip to a far region).
	Latency time.Duration
	// OnCall may answer a call itself (return non-nil).
	OnCall func(Call) *Reply
	// ModifyJSON may rewrite an upstream awsJson1_1 response body (decoded) before it is
	// returned, e.g. to add service events moto does not produce.
	ModifyJSON func(c Call, body map[string]any)

	srv   *httptest.Server
	mu    sync.Mutex
	calls []Call
}

// Start starts the proxy on 127.0.0.1 and returns its URL.
func (p *Proxy) Start() string {
	p.srv = httptest.NewServer(http.HandlerFunc(p.serve))
	return p.srv.URL
}

// URL is the proxy's address (after Start).
func (p *Proxy) URL() string { return p.srv.URL }

// Close stops the proxy.
func (p *Proxy) Close() {
	if p.srv != nil {
		p.srv.Close()
	}
}

// Calls returns every call seen so far.
func (p *Proxy) Calls() []Call {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]Call(nil), p.calls...)
}

// Actions returns the distinct actions seen.
func (p *Proxy) Actions() map[string]int {
	out := map[string]int{}
	for _, c := range p.Calls() {
		out[c.Action]++
	}
	return out
}

// ResetCalls forgets the recorded calls.
func (p *Proxy) ResetCalls() {
	p.mu.Lock()
	p.calls = nil
	p.mu.Unlock()
}

// Identify works out service and operation from a request, the way AWS front ends do:
// X-Amz-Target for JSON protocols, Action plus the SigV4 scope's service for query ones.
func Identify(r *http.Request, body []byte) Call {
	var c Call
	if t := r.Header.Get("X-Amz-Target"); t != "" {
		prefix, op, _ := strings.Cut(t, ".")
		c.Service, c.Op = jsonTargets[prefix], op
		if c.Service == "" {
			c.Service = strings.ToLower(prefix)
		}
		_ = json.Unmarshal(body, &c.JSON)
	} else {
		c.Form, _ = url.ParseQuery(string(body))
		c.Op = c.Form.Get("Action")
		if m := scopeRE.FindStringSubmatch(r.Header.Get("Authorization")); m != nil {
			c.Service = m[1]
		}
	}
	c.Action = c.Service + ":" + c.Op
	return c
}

func (p *Proxy) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	if p.Latency > 0 {
		time.Sleep(p.Latency)
	}
	if strings.HasPrefix(r.URL.Path, "/moto-api") {
		p.forward(w, r, body, Call{})
		return
	}
	c := Identify(r, body)
	p.mu.Lock()
	p.calls = append(p.calls, c)
	p.mu.Unlock()
	if p.OnCall != nil {
		if rep := p.OnCall(c); rep != nil {
			if rep.Delay > 0 {
				select {
				case <-time.After(rep.Delay):
				case <-r.Context().Done():
					return
				}
			}
			for k, vs := range rep.Header {
				w.Header()[k] = vs
			}
			w.WriteHeader(rep.Status)
			_, _ = w.Write(rep.Body)
			return
		}
	}
	if p.Upstream == "" {
		rep := Error(c, 501, "NotImplemented", "the fake endpoint does not implement "+c.Action)
		for k, vs := range rep.Header {
			w.Header()[k] = vs
		}
		w.WriteHeader(rep.Status)
		_, _ = w.Write(rep.Body)
		return
	}
	p.forward(w, r, body, c)
}

func (p *Proxy) forward(w http.ResponseWriter, r *http.Request, body []byte, c Call) {
	req, err := http.NewRequestWithContext(r.Context(), r.Method, p.Upstream+r.URL.RequestURI(), bytes.NewReader(body))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	req.Header = r.Header.Clone()
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	if c.JSON != nil && resp.StatusCode == http.StatusOK {
		var m map[string]any
		if json.Unmarshal(out, &m) == nil {
			FixMoto(c, m)
			if p.ModifyJSON != nil {
				p.ModifyJSON(c, m)
			}
			if b, err := json.Marshal(m); err == nil {
				out = b
			}
		}
	}
	for k, vs := range resp.Header {
		if k == "Content-Length" {
			continue
		}
		w.Header()[k] = vs
	}
	w.WriteHeader(resp.StatusCode)
	_, _ = w.Write(out)
}

// FixMoto corrects moto 5.2 answers that the real SDK cannot decode: ECS containers'
// cpu/memory/memoryReservation come back as numbers where the ECS API has strings.
func FixMoto(c Call, body map[string]any) {
	if c.Service != "ecs" {
		return
	}
	var tasks []any
	if ts, ok := body["tasks"].([]any); ok {
		tasks = ts
	}
	if t, ok := body["task"]; ok {
		tasks = append(tasks, t)
	}
	for _, t := range tasks {
		tm, _ := t.(map[string]any)
		cs, _ := tm["containers"].([]any)
		for _, ct := range cs {
			cm, _ := ct.(map[string]any)
			for _, k := range []string{"cpu", "memory", "memoryReservation"} {
				if n, ok := cm[k].(float64); ok {
					cm[k] = strconv.FormatFloat(n, 'f', -1, 64)
				}
			}
		}
	}
}

// JSON answers an awsJson1_1 call with v.
func JSON(v any) *Reply {
	b, _ := json.Marshal(v)
	return &Reply{Status: 200, Header: http.Header{"Content-Type": {"application/x-amz-json-1.1"}}, Body: b}
}

// Error is the service's own error shape: awsJson1_1 ({"__type": code} and
// X-Amzn-ErrorType), EC2's <Response><Errors>, or awsQuery's <ErrorResponse>.
func Error(c Call, status int, code, msg string) *Reply {
	switch c.Service {
	case "ec2":
		body := fmt.Sprintf(`<?xml version="1.0" encoding="UTF-8"?>`+"\n"+
			`<Response><Errors><Error><Code>%s</Code><Message>%s</Message></Error></Errors><RequestID>0f4b7e3c-fake</RequestID></Response>`, xmlEscape(code), xmlEscape(msg))
		return &Reply{Status: status, Header: http.Header{"Content-Type": {"text/xml;charset=UTF-8"}}, Body: []byte(body)}
	case "iam", "sts":
		typ := "Sender"
		if status >= 500 {
			typ = "Receiver"
		}
		body := fmt.Sprintf(`<ErrorResponse xmlns="https://%s.amazonaws.com/doc/2010-05-08/"><Error><Type>%s</Type><Code>%s</Code><Message>%s</Message></Error><RequestId>0f4b7e3c-fake</RequestId></ErrorResponse>`, c.Service, typ, xmlEscape(code), xmlEscape(msg))
		return &Reply{Status: status, Header: http.Header{"Content-Type": {"text/xml"}}, Body: []byte(body)}
	default:
		b, _ := json.Marshal(map[string]string{"__type": code, "message": msg})
		return &Reply{Status: status, Header: http.Header{"Content-Type": {"application/x-amz-json-1.1"}, "X-Amzn-Errortype": {code}}, Body: b}
	}
}

// AccessDenied is the error each service returns for a missing permission: EC2 says
// UnauthorizedOperation, the JSON services AccessDeniedException, IAM/STS AccessDenied.
func AccessDenied(c Call) *Reply {
	msg := fmt.Sprintf("User: arn:aws:iam::123456789012:user/reader is not authorized to perform: %s because no identity-based policy allows the %s action", c.Action, c.Action)
	switch c.Service {
	case "ec2":
		return Error(c, 403, "UnauthorizedOperation", "You are not authorized to perform this operation. "+msg)
	case "iam", "sts":
		return Error(c, 403, "AccessDenied", msg)
	default:
		return Error(c, 400, "AccessDeniedException", msg)
	}
}

// Throttled is the service's throttling error.
func Throttled(c Call) *Reply {
	switch c.Service {
	case "ec2":
		return Error(c, 503, "RequestLimitExceeded", "Request limit exceeded.")
	case "iam", "sts":
		return Error(c, 400, "Throttling", "Rate exceeded")
	default:
		return Error(c, 400, "ThrottlingException", "Rate exceeded")
	}
}

// ServerError is a 500 in the service's shape.
func ServerError(c Call) *Reply {
	switch c.Service {
	case "ec2":
		return Error(c, 500, "InternalError", "An internal error has occurred")
	case "iam", "sts":
		return Error(c, 500, "ServiceFailure", "An internal error has occurred")
	default:
		return Error(c, 500, "InternalFailure", "An internal error has occurred")
	}
}

func xmlEscape(s string) string {
	r := strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;")
	return r.Replace(s)
}
