package live

import (
	"errors"
	"fmt"
	"math"
	"os/exec"
	"runtime"
	"strconv"
	"syscall"
)

// ErrNoStressNG is BusyHost's error when stress-ng is not on the PATH.
var ErrNoStressNG = errors.New("live: stress-ng is not on the PATH (Debian: apt-get install stress-ng)")

// BusyHost keeps share of the host's CPU time busy beside the servers, as users' hosts
// are: stress-ng with one CPU worker per core, each busy share of the time
// (--cpu-load), for a recording made on a deliberately loaded host. The returned
// function stops it; an interrupted command stops it too (HandleInterrupts), and it dies
// with the process that started it.
func BusyHost(share float64) (stop func(), err error) {
	if math.IsNaN(share) || share <= 0 || share > 1 {
		return nil, fmt.Errorf("live: busy share %v: want more than 0, at most 1", share)
	}
	bin, err := exec.LookPath("stress-ng")
	if err != nil {
		return nil, ErrNoStressNG
	}
	cmd := exec.Command(bin, "--cpu", strconv.Itoa(runtime.NumCPU()), "--cpu-load", strconv.Itoa(int(math.Round(share*100))), "--quiet")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("live: starting stress-ng: %w", err)
	}
	pid := cmd.Process.Pid
	kill := func() { _ = syscall.Kill(-pid, syscall.SIGKILL) }
	forget := onInterrupt(kill)
	return func() {
		kill()
		_ = cmd.Wait()
		forget()
	}, nil
}
