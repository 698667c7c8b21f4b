// Package errclass classifies the text ECS shows when a task cannot pull its
// image (a task's stoppedReason, a container's reason, a service event, or an
// ECS agent / Docker log line) into the cause ids of package cause.
//
// It answers "what does this text alone say?" so that the rest of pulldoctor
// can rank its findings by what was actually observed (DESIGN.md §2, §8). It
// never does I/O and is safe for concurrent use.
//
// # API
//
//   - Classify(text) returns a Result: the input, its normalised form, a ranked
//     Classification (never empty; [{unknown, ≤0.3}] when nothing fits) and the
//     facts Extracted from it (image, registry host, address, HTTP status, IAM
//     action, ARN).
//   - Normalize(text) returns the lower-cased, cleaned text the rules match on.
//   - MaxInputBytes and MaxNormalizedBytes bound the work done per call.
//
// # Normalisation
//
// The same error reaches users in many shapes, so Normalize folds them into one
// before matching: curly quotes become ASCII quotes, JSON escapes (\" \u0027
// \n …) are decoded, whitespace is collapsed, invalid UTF-8 is replaced with
// U+FFFD, containerd's two spellings "httpReaderSeeker"/"httpReadSeeker" and
// the agent's "time(s)"/"times" are unified, service-event wrapping
// ("(service x) (task y) was unable to place a task. Reason: …", "service x
// failed to launch a task with (error …)"), ECS agent / Docker log prefixes
// ("level=error time=… msg=\"…\"", "2018-01-02T03:04:05Z [INFO] …") and a
// trailing truncation "..." are removed, and ASCII letters are lower-cased.
//
// Only the first MaxInputBytes of the input are read and at most
// MaxNormalizedBytes of normalised text are kept: real stopped reasons are
// under 1 KiB (ECS truncates them at 255 characters), and the cap keeps a
// 1 MB paste linear and cheap. Text past the cap is ignored.
//
// # Rules and confidence
//
// Rules (rules.go) are plain substring tests on the normalised text. All
// their substrings, and the anchors extraction looks for, are found in one
// pass by an Aho-Corasick automaton (automaton.go), so the cost is linear in
// the text whatever the size of the table; no regular expression runs, and
// extraction uses small hand-written scanners that only run when the
// automaton saw their anchor. A rule yields one or more (cause, confidence) pairs;
// some rules yield different pairs depending on the registry the text names
// (an ECR host, Docker Hub, …). For each cause the highest confidence wins,
// and causes are ranked by confidence, then by catalogue order.
//
// A confidence of 0.7 or more means the text alone decides the cause (for
// example "no space left on device"). Texts that several causes can produce
// (a truncated "unable to pull secrets or registry auth", a 403 from ECR) get
// several causes below 0.7 so that evidence from the checks decides. Text no
// rule recognises gives [{unknown, 0.2}] (0.3 when it is at least recognisably
// an image-pull or task-start error): never a confident guess.
//
// Rule ids are reported in Match.Rule so that a surprising ranking can be
// traced back to the rule that produced it.
package errclass
