package check

import (
	"sync"

	"github.com/pulldoctor/pulldoctor/pkg/snapshot"
)

// A diagnosis runs every check over one snapshot, and many checks derive the same facts from
// it: the network analyzer, the execution role's parsed policies, the task's image targets.
// A session holds those facts for the length of one DiagnoseWith call, so each is worked out
// once per diagnosis. It lives exactly as long as the call: nothing derived outlives it, so
// an edited or copied snapshot is always seen afresh, and a check run on its own (tests, the
// fuzzer) simply gets a session of its own.
//
// Each area that shares a fact owns one slot, named below; a slot holds whatever that area
// stores (its own type), built on first use.
type sessionSlot int

const (
	slotNetwork sessionSlot = iota // network checks: *netpath.Analyzer
	slotIAM                        // IAM checks
	slotImage                      // image and registry checks
	slotMisc                       // anything else
	slotMisc2
	slotMisc3
	numSlots
)

type session struct {
	// One diagnosis runs its checks one after another on one goroutine, but a caller may
	// diagnose the same snapshot from two goroutines at once: the slots are guarded.
	mu    sync.Mutex
	slots [numSlots]any
}

// sessions maps a snapshot under diagnosis to its session.
var sessions sync.Map // *snapshot.Snapshot → *session

// beginSession registers a session for s for the length of a diagnosis; endSession with
// what it returned ends it. A diagnosis of s already under way (another goroutine) is
// joined, not replaced: beginSession then returns nil and endSession does nothing.
func beginSession(s *snapshot.Snapshot) *session {
	ss := &session{}
	if _, loaded := sessions.LoadOrStore(s, ss); loaded {
		return nil
	}
	return ss
}

func endSession(s *snapshot.Snapshot, ss *session) {
	if ss != nil {
		sessions.CompareAndDelete(s, ss)
	}
}

// shared returns the value in slot for the diagnosis of s, building it on first use. Outside
// a diagnosis it just builds it. build must be a pure function of the snapshot.
func shared[T any](s *snapshot.Snapshot, slot sessionSlot, build func() T) T {
	v, ok := sessions.Load(s)
	if !ok {
		return build()
	}
	ss := v.(*session)
	ss.mu.Lock()
	if x, ok := ss.slots[slot].(T); ok {
		ss.mu.Unlock()
		return x
	}
	ss.mu.Unlock()
	x := build()
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if y, ok := ss.slots[slot].(T); ok {
		return y // built meanwhile by another goroutine: keep the first
	}
	ss.slots[slot] = x
	return x
}
