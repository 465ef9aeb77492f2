package main

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kvplace/kvplace/internal/livetest"
	"github.com/kvplace/kvplace/sim/live"
)

// buildScenario builds this command into a temporary folder, once per test.
func buildScenario(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "scenario")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	require.NoError(t, err, "%s", out)
	return bin
}

// interruptRunbook starts three servers and waits, with a line printed after two seconds
// so that a closed stdout is noticed; with cut, it partitions them first.
func interruptRunbook(t *testing.T, cut bool) (text string, ports []int) {
	ports, err := live.FreePorts(3)
	require.NoError(t, err)
	var b strings.Builder
	for i, p := range ports {
		fmt.Fprintf(&b, "docker run -d --name n%d --net host redis:7.0.15 --cluster-enabled yes --port %d\n", i+1, p)
	}
	if cut {
		b.WriteString("partition n1 | n2 n3\n")
	}
	fmt.Fprintf(&b, "sleep 2s\nredis-cli -p %d ping\nsleep 60s\n", ports[0])
	return b.String(), ports
}

// children returns the redis-server processes whose parent is pid.
func children(t *testing.T, pid int) []int {
	t.Helper()
	entries, err := os.ReadDir("/proc")
	require.NoError(t, err)
	var out []int
	for _, e := range entries {
		child, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...
		s := string(stat)
		close := strings.LastIndexByte(s, ')')
		fields := strings.Fields(s[close+1:])
		if len(fields) > 1 && strings.Contains(s[:close], "(redis-server") && fields[1] == strconv.Itoa(pid) {
			out = append(out, child)
		}
	}
	return out
}

// alive reports whether process pid exists and is not a zombie.
func alive(pid int) bool {
	stat, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return false
	}
	s := string(stat)
	fields := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	return len(fields) > 0 && fields[0] != "Z"
}

// startInterruptible runs the command on text with -live, TMPDIR set to a folder of the
// test's, and waits until its three servers run; it returns the command, the servers'
// processes and the TMPDIR.
func startInterruptible(t *testing.T, bin, text string, stdout *os.File) (*exec.Cmd, []int, string) {
	t.Helper()
	dir := t.TempDir()
	rb := filepath.Join(dir, "runbook.txt")
	require.NoError(t, os.WriteFile(rb, []byte(text), 0o644))
	tmp := filepath.Join(dir, "tmp")
	require.NoError(t, os.Mkdir(tmp, 0o755))
	cmd := exec.Command(bin, "-live", rb)
	cmd.Env = append(os.Environ(), "TMPDIR="+tmp)
	cmd.Stdout = stdout
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	var servers []int
	deadline := time.Now().Add(30 * time.Second)
	for len(servers) < 3 {
		require.True(t, time.Now().Before(deadline), "the servers did not start")
		time.Sleep(50 * time.Millisecond)
		servers = children(t, cmd.Process.Pid)
	}
	return cmd, servers, tmp
}

// exitCode waits for cmd and returns its exit status.
func exitCode(t *testing.T, cmd *exec.Cmd) int {
	t.Helper()
	err := cmd.Wait()
	var exit *exec.ExitError
	if err == nil {
		return 0
	}
	require.True(t, errors.As(err, &exit), "%v", err)
	return exit.ExitCode()
}

// gone holds the test to every one of servers having exited within 5 s.
func gone(t *testing.T, servers []int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for _, pid := range servers {
		for alive(pid) && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
		}
		assert.False(t, alive(pid), "redis-server %d still runs", pid)
	}
}

// leftovers holds the test to what an interrupted live run must leave: no server of its
// own running and no temporary folder.
func leftovers(t *testing.T, servers []int, tmp string) {
	t.Helper()
	gone(t, servers)
	left, err := filepath.Glob(filepath.Join(tmp, "kvplace-live-*"))
	require.NoError(t, err)
	assert.Empty(t, left, "the run's folder is still there")
}

// Ctrl-C, SIGTERM and SIGHUP on a live run stop its servers, remove its folder and exit
// with 128 + the signal's number, as a shell reports it (before, the servers ran on,
// adopted by init, and the next run found their ports taken).
func TestLiveRunInterrupted(t *testing.T) {
	livetest.Need(t)
	bin := buildScenario(t)
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP} {
		t.Run(sig.String(), func(t *testing.T) {
			text, _ := interruptRunbook(t, false)
			cmd, servers, tmp := startInterruptible(t, bin, text, nil)
			require.NoError(t, cmd.Process.Signal(sig))
			assert.Equal(t, 128+int(sig), exitCode(t, cmd))
			leftovers(t, servers, tmp)
		})
	}
}

// Piping a live run into a reader that stops reading (head) ends it with SIGPIPE's status
// and leaves nothing behind either.
func TestLiveRunClosedStdout(t *testing.T) {
	livetest.Need(t)
	bin := buildScenario(t)
	text, _ := interruptRunbook(t, false)
	r, w, err := os.Pipe()
	require.NoError(t, err)
	cmd, servers, tmp := startInterruptible(t, bin, text, w)
	require.NoError(t, w.Close())
	line, err := bufio.NewReader(r).ReadString('\n')
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(line, "$ docker run"), line)
	require.NoError(t, r.Close())
	assert.Equal(t, 128+int(syscall.SIGPIPE), exitCode(t, cmd))
	leftovers(t, servers, tmp)
}

// A SIGKILL cannot be caught, but the servers die with their parent all the same
// (Linux's parent-death signal); only the folder is left, for the test to remove.
func TestLiveRunKilled(t *testing.T) {
	livetest.Need(t)
	bin := buildScenario(t)
	text, _ := interruptRunbook(t, false)
	cmd, servers, tmp := startInterruptible(t, bin, text, nil)
	require.NoError(t, cmd.Process.Kill())
	assert.Equal(t, -1, exitCode(t, cmd), "killed by a signal")
	gone(t, servers)
	left, _ := filepath.Glob(filepath.Join(tmp, "kvplace-live-*"))
	for _, d := range left {
		_ = os.RemoveAll(d)
	}
}

// A partition runbook interrupted while its cut is in force removes its iptables chain
// and the jump to it from INPUT (before, the DROP rules stayed in the host's firewall).
func TestLiveRunInterruptedMidCut(t *testing.T) {
	livetest.NeedFirewall(t)
	bin := buildScenario(t)
	text, _ := interruptRunbook(t, true)
	cmd, servers, tmp := startInterruptible(t, bin, text, nil)
	chain := fmt.Sprintf("KVPLACE-%d-", cmd.Process.Pid)
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(iptablesRules(t), "-A "+chain) {
		require.True(t, time.Now().Before(deadline), "the cut never showed in iptables")
		time.Sleep(50 * time.Millisecond)
	}
	require.NoError(t, cmd.Process.Signal(syscall.SIGINT))
	assert.Equal(t, 130, exitCode(t, cmd))
	leftovers(t, servers, tmp)
	assert.NotContains(t, iptablesRules(t), chain, "the run's chain is still in iptables")
}

func iptablesRules(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("iptables", "-w", "-S").CombinedOutput()
	require.NoError(t, err, "%s", out)
	return string(out)
}
