package live

import (
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// The child half of TestInterruptOwnsTheExit: the signal arrives, the cleanup takes a
// while, and the command meanwhile runs to its end and tries to exit 1, as a live run
// whose servers the cleanup killed does.
func TestMain(m *testing.M) {
	if marker := os.Getenv("KVPLACE_INTERRUPT_CHILD"); marker != "" {
		stop := HandleInterrupts()
		onInterrupt(func() {
			time.Sleep(300 * time.Millisecond)
			_ = os.WriteFile(marker, []byte("cleaned up"), 0o644)
		})
		_ = syscall.Kill(os.Getpid(), syscall.SIGINT)
		time.Sleep(20 * time.Millisecond) // the handler has the signal, the cleanup runs
		stop()
		os.Exit(1)
	}
	os.Exit(m.Run())
}

// TestInterruptOwnsTheExit: once a signal has arrived, the command's way out waits for
// the handler, which finishes the cleanup and exits 128 + the signal.
func TestInterruptOwnsTheExit(t *testing.T) {
	marker := filepath.Join(t.TempDir(), "marker")
	cmd := exec.Command(os.Args[0], "-test.run", "^$")
	cmd.Env = append(os.Environ(), "KVPLACE_INTERRUPT_CHILD="+marker)
	err := cmd.Run()
	if cmd.ProcessState == nil {
		t.Fatal(err)
	}
	if code := cmd.ProcessState.ExitCode(); code != 130 {
		t.Errorf("exit status %d, want 130 (SIGINT's)", code)
	}
	if b, err := os.ReadFile(marker); err != nil || string(b) != "cleaned up" {
		t.Errorf("the cleanup did not finish: %q, %v", b, err)
	}
}
