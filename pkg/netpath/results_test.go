package netpath

import (
	"sync"
	"testing"

	"github.com/pulldoctor/pulldoctor/internal/snaptest"
)

// The shared analyzer answers goroutines that diagnose the same snapshot; Results is built
// once and agrees with Reach.
func TestResultsShared(t *testing.T) {
	s := snaptest.LargeVPC().Build()
	a := New(s)
	var wg sync.WaitGroup
	got := make([][]Result, 4)
	for g := range got {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got[g] = a.Results()
			for _, d := range a.Needed() {
				a.Reach(d)
			}
			a.InternetVia()
			a.PathLines([]int{0, 1})
		}()
	}
	wg.Wait()
	for g := range got {
		if &got[g][0] != &got[0][0] {
			t.Fatalf("goroutine %d got its own results", g)
		}
	}
	if via := a.Reach(Destination{Service: Internet, Host: "example.com"}).Via; a.InternetVia() != via {
		t.Errorf("InternetVia %s, Reach says %s", a.InternetVia(), via)
	}
	if want := a.Needed()[0].Name() + ": " + got[0][0].Path() + "\n" + a.Needed()[1].Name() + ": " + got[0][1].Path(); a.PathLines([]int{0, 1}) != want {
		t.Errorf("PathLines: %q, want %q", a.PathLines([]int{0, 1}), want)
	}
	for i, d := range a.Needed() {
		r := a.Reach(d)
		if r.Path() != got[0][i].Path() || len(r.Steps) != len(got[0][i].Steps) || cap(r.Steps) != len(r.Steps) {
			t.Errorf("%s: Reach and Results differ, or steps not clipped", d.Name())
		}
	}
}
