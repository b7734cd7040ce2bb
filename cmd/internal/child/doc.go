// Package child runs a program's own binary again as a child process, and
// makes that binary, or the test binary of its package, act as the child.
//
// The programs measure in fresh processes, so that no figure reuses memory
// that an earlier measurement freed (Run), and load servers that run in
// processes of their own, so that a server's resident set is its own
// (Start). Both ends of the exchange are here, so that they agree:
//
//   - A Role is one kind of child. The parent names it by one environment
//     variable, Role.Env, set to a spec that says what exactly to do
//     ("tasks:1000"). A variable rather than an argument leaves the
//     program's command line, its -h and its checks of flags to the user,
//     and passes untouched through a test binary, which parses its
//     arguments as test flags.
//   - The first statement of main, and of TestMain, is Role.Become: in a
//     process started as the child it runs Role.Main and exits; in any
//     other it returns at once. A test binary so acts as the program, and
//     a program's tests can start its children.
//   - The child speaks on its standard output. A measuring child (Measure)
//     prints its figures as one JSON value, which Run decodes once the
//     child has exited. A serving child first prints a ready line, which
//     Start waits for and returns.
//   - The parent holds the child's standard input open. Closing it, as
//     Process.Stop does, or the parent's death, is the child's cue to end:
//     Main's context ends. Stop kills a child that has not ended in time.
//   - Process.RSSKiB and Process.CPUTime read a started child's resident
//     set and CPU time (Linux only).
package child
