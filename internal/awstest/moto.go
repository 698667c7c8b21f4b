// Package awstest runs the real aws-sdk-go-v2 clients against real-enough AWS endpoints:
// a moto_server process on loopback (Moto), and a protocol-accurate proxy/fake (Proxy)
// that sits in front of it to record every action, inject faults and latency, and answer
// what moto lacks (service events, container reasons) in the services' own wire protocols.
package awstest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
)

// ErrNoMoto is returned when moto_server is not on PATH.
var ErrNoMoto = errors.New("moto_server not found on PATH (pip install 'moto[server]')")

// Moto is a running moto_server.
//
// URL is a Proxy in front of moto_server that fixes the few places where moto's answers do
// not match the real wire format (FixMoto), so the real SDK can decode them; RawURL is
// moto_server itself.
type Moto struct {
	URL    string
	RawURL string
	cmd    *exec.Cmd
	front  *Proxy
}

// StartMoto starts moto_server on a free 127.0.0.1 port, with the AWS managed IAM policies
// loaded (so AmazonECSTaskExecutionRolePolicy can be attached), and waits until it answers.
func StartMoto() (*Moto, error) {
	bin, err := exec.LookPath("moto_server")
	if err != nil {
		return nil, ErrNoMoto
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, "-H", "127.0.0.1", "-p", strconv.Itoa(port))
	cmd.Env = append(os.Environ(), "MOTO_IAM_LOAD_MANAGED_POLICIES=true")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if os.Getenv("AWSTEST_MOTO_LOG") == "" {
		cmd.Stdout, cmd.Stderr = nil, nil
	} else {
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start moto_server: %w", err)
	}
	m := &Moto{RawURL: fmt.Sprintf("http://127.0.0.1:%d", port), cmd: cmd}
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get(m.RawURL + "/moto-api/data.json")
		if err == nil {
			resp.Body.Close()
			m.front = &Proxy{Upstream: m.RawURL}
			m.URL = m.front.Start()
			return m, nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	m.Stop()
	return nil, errors.New("moto_server did not answer within 60s")
}

// Stop kills moto_server (its whole process group: it may fork).
func (m *Moto) Stop() {
	if m == nil || m.cmd == nil || m.cmd.Process == nil {
		return
	}
	m.front.Close()
	_ = syscall.Kill(-m.cmd.Process.Pid, syscall.SIGKILL)
	_ = m.cmd.Wait()
}

// Reset clears all of moto's state.
func (m *Moto) Reset() error {
	resp, err := http.Post(m.RawURL+"/moto-api/reset", "application/json", nil)
	if err != nil {
		return fmt.Errorf("reset moto: %w", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("reset moto: HTTP %d", resp.StatusCode)
	}
	return nil
}

var (
	sharedOnce sync.Once
	shared     *Moto
	sharedErr  error
)

// Shared starts one moto_server per test binary on first use.
func Shared() (*Moto, error) {
	sharedOnce.Do(func() { shared, sharedErr = StartMoto() })
	return shared, sharedErr
}

// StopShared stops the shared server; call it from TestMain after m.Run.
func StopShared() {
	if shared != nil {
		shared.Stop()
	}
}

// MotoForTest returns the shared moto_server, reset to empty. Without moto_server the test
// is skipped, except under CI=true where that is a failure: CI must never pass by
// skipping the real-server tests.
func MotoForTest(tb testing.TB) *Moto {
	tb.Helper()
	m, err := Shared()
	if err != nil {
		if os.Getenv("CI") == "true" {
			tb.Fatalf("moto_server is required under CI=true: %v", err)
		}
		tb.Skipf("skipping: %v", err)
	}
	if err := m.Reset(); err != nil {
		tb.Fatal(err)
	}
	return m
}

// Credentials are the dummy static credentials moto accepts (account 123456789012).
func Credentials() aws.CredentialsProvider {
	return credentials.NewStaticCredentialsProvider("testing", "testing", "")
}

// Config is an SDK config for endpoint without the collector's guard: for building state.
func Config(endpoint, region string) aws.Config {
	return aws.Config{
		Region:       region,
		Credentials:  Credentials(),
		BaseEndpoint: aws.String(endpoint),
		HTTPClient:   &http.Client{Timeout: 30 * time.Second},
	}
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// Ctx is a test context with a deadline.
func Ctx(tb testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	tb.Cleanup(cancel)
	return ctx
}
