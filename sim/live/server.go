package live

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// ErrNoRedis reports that redis-server or redis-cli is not on the PATH.
var ErrNoRedis = errors.New("live: redis-server and redis-cli must be on the PATH (Debian: apt-get install -y redis-server)")

// Binaries returns the paths of redis-server and redis-cli, or ErrNoRedis.
func Binaries() (server, cli string, err error) {
	server, err1 := exec.LookPath("redis-server")
	cli, err2 := exec.LookPath("redis-cli")
	if err1 != nil || err2 != nil {
		return "", "", ErrNoRedis
	}
	return server, cli, nil
}

// Version returns what `redis-server --version` prints, for a recording's header; the
// path of the binary, or "redis-server", when it cannot say.
func Version() string {
	bin, _, err := Binaries()
	if err != nil {
		return "redis-server"
	}
	out, err := exec.Command(bin, "--version").Output()
	if err != nil {
		return bin
	}
	return strings.TrimSpace(string(out))
}

// Load1 returns the host's 1-minute load average as /proc/loadavg gives it, for a
// recording's lines ("?" where there is no /proc): a busy host slows what is recorded.
func Load1() string {
	b, err := os.ReadFile("/proc/loadavg")
	if f := strings.Fields(string(b)); err == nil && len(f) > 0 {
		return f[0]
	}
	return "?"
}

// A Server is one redis-server process in cluster mode, listening on 127.0.0.1:Port with
// its cluster bus on Port+10000, keeping its files (nodes.conf, AOF, log) in Dir.
type Server struct {
	Port int
	Dir  string
	Args []string // extra configuration, e.g. "--cluster-node-timeout", "1000"
	// Source, if set, is a loopback address of the server's own (127.x.y.z) that its
	// cluster bus and replication connections leave from, so that a Firewall can cut them.
	// The server still listens on, and announces, 127.0.0.1.
	Source string

	cmd  *exec.Cmd
	done chan struct{}
	// forget unregisters the server from what an interrupted command cleans up.
	forget func()
}

// Addr returns "127.0.0.1:PORT".
func (s *Server) Addr() string { return "127.0.0.1:" + strconv.Itoa(s.Port) }

// Start launches the server and waits until it answers PING. Starting a server whose Dir
// holds files from an earlier run resumes that run, as `docker start` does.
func (s *Server) Start() error {
	bin, _, err := Binaries()
	if err != nil {
		return err
	}
	if s.cmd != nil {
		return fmt.Errorf("live: server %s is already running", s.Addr())
	}
	if err := os.MkdirAll(s.Dir, 0o755); err != nil {
		return err
	}
	args := []string{
		"--port", strconv.Itoa(s.Port),
		"--bind", "127.0.0.1",
		"--protected-mode", "no",
		"--daemonize", "no",
		"--dir", s.Dir,
		"--logfile", filepath.Join(s.Dir, "redis.log"),
		"--cluster-enabled", "yes",
		"--cluster-config-file", "nodes.conf",
		"--appendonly", "yes",
		"--save", "",
	}
	if s.Source != "" {
		args = append(args, "--bind-source-addr", s.Source,
			// Peers would otherwise name it by the address its connections come from.
			"--cluster-announce-ip", "127.0.0.1", "--replica-announce-ip", "127.0.0.1")
	}
	args = append(args, s.Args...)
	cmd := exec.Command(bin, args...)
	// Its own process group, so that pausing or killing it reaches nothing else; and
	// SIGKILL when the process that started it dies, however it dies, so that no server
	// outlives a killed command or test binary.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	// (Pdeathsig follows the thread that forked, not the process; Go ends a thread only
	// when a goroutine locked to it with runtime.LockOSThread exits, which nothing here
	// does.)
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("live: starting redis-server on port %d: %w", s.Port, err)
	}
	s.cmd = cmd
	s.done = make(chan struct{})
	go func() { _ = cmd.Wait(); close(s.done) }()
	pid := cmd.Process.Pid
	s.forget = onInterrupt(func() { _ = syscall.Kill(-pid, syscall.SIGKILL) })
	deadline := time.Now().Add(10 * time.Second)
	for {
		if c, err := Dial(s.Addr(), 200*time.Millisecond); err == nil {
			reply, err := c.Do("PING")
			var info any
			if err == nil && reply == "PONG" {
				info, err = c.Do("INFO", "server")
			}
			c.Close()
			if err == nil && reply == "PONG" {
				// The server that answers must be this one, not another process's that
				// took the port first.
				if pid := infoField(info, "process_id"); pid != strconv.Itoa(cmd.Process.Pid) {
					_ = s.Kill()
					return fmt.Errorf("live: port %d is answered by another redis-server (process %s), not the one started (process %d)", s.Port, pid, cmd.Process.Pid)
				}
				return nil
			}
		}
		select {
		case <-s.done:
			s.cmd = nil
			s.forget()
			log := filepath.Join(s.Dir, "redis.log")
			return fmt.Errorf("live: redis-server on port %d exited at start; the end of %s:\n%s", s.Port, log, tail(log, 5))
		default:
		}
		if time.Now().After(deadline) {
			_ = s.Kill()
			return fmt.Errorf("live: redis-server on port %d did not answer PING within 10s", s.Port)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Running reports whether the process is up.
func (s *Server) Running() bool { return s.cmd != nil }

// Kill stops the server with SIGKILL, like a crash: nothing is flushed.
func (s *Server) Kill() error { return s.stop(syscall.SIGKILL) }

// Stop stops the server with SIGTERM, as `docker stop` does, and waits for it to exit.
func (s *Server) Stop() error { return s.stop(syscall.SIGTERM) }

func (s *Server) stop(sig syscall.Signal) error {
	if s.cmd == nil {
		return nil
	}
	_ = syscall.Kill(-s.cmd.Process.Pid, sig)
	select {
	case <-s.done:
	case <-time.After(10 * time.Second):
		_ = syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
		<-s.done
	}
	s.cmd = nil
	s.forget()
	return nil
}

// Pause stops the process with SIGSTOP (a stalled node); Resume continues it.
func (s *Server) Pause() error {
	if s.cmd == nil {
		return fmt.Errorf("live: server %s is not running", s.Addr())
	}
	return syscall.Kill(-s.cmd.Process.Pid, syscall.SIGSTOP)
}

// Resume continues a paused server.
func (s *Server) Resume() error {
	if s.cmd == nil {
		return fmt.Errorf("live: server %s is not running", s.Addr())
	}
	return syscall.Kill(-s.cmd.Process.Pid, syscall.SIGCONT)
}

// Do opens a connection, sends one command and closes the connection.
func (s *Server) Do(args ...string) (any, error) {
	c, err := Dial(s.Addr(), 2*time.Second)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	return c.Do(args...)
}

// FreePorts returns n ports p such that both p and its cluster bus port p+10000 can be
// bound on 127.0.0.1 right now, all different, and none of them in the kernel's range of
// ephemeral ports. That last rule matters: a port that is free when probed but lies in
// the ephemeral range can be taken a moment later by any outgoing connection (redis-cli's,
// or another node's cluster bus link), and the server started on it then exits with
// "Address already in use". CI saw exactly that with bus port 33304.
// It probes from a port derived from the process ID so that parallel test binaries are
// unlikely to collide.
func FreePorts(n int) ([]int, error) {
	// Tests running in parallel in one process each ask for ports and bind them only
	// later, one node at a time: without a record of what was handed out, two of them got
	// the same still-unbound ports, and one runbook's node 7 turned out to be another's.
	handedMu.Lock()
	defer handedMu.Unlock()
	lo, hi := ephemeralRange()
	usable := func(port int) bool { return port >= 1024 && port <= 65535 && (port < lo || port > hi) }
	const first, span = 10000, 40000
	var ports []int
	offset := (os.Getpid() * 37) % span
	for i := 0; len(ports) < n && i < span; i++ {
		port := first + (offset+i)%span
		if !usable(port) || !usable(port+10000) {
			continue
		}
		if handed[port] || handed[port+10000] || handed[port-10000] {
			continue
		}
		if free(port) && free(port+10000) && claim(port) {
			ports = append(ports, port)
		}
	}
	if len(ports) < n {
		return nil, fmt.Errorf("live: found only %d free port pairs of %d outside the ephemeral range %d-%d", len(ports), n, lo, hi)
	}
	for _, p := range ports {
		handed[p] = true
	}
	return ports, nil
}

// infoField returns the value of field in an INFO reply, or "".
func infoField(info any, field string) string {
	text, _ := info.(string)
	for _, line := range strings.Split(text, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), field+":"); ok {
			return v
		}
	}
	return ""
}

// tail returns the last n lines of the file at path, or why it could not be read.
func tail(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// ephemeralRange is the kernel's range of ports for outgoing connections
// (/proc/sys/net/ipv4/ip_local_port_range), or Linux's default 32768-60999 when it cannot
// be read.
func ephemeralRange() (lo, hi int) {
	lo, hi = 32768, 60999
	b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range")
	if err != nil {
		return lo, hi
	}
	f := strings.Fields(string(b))
	if len(f) != 2 {
		return lo, hi
	}
	l, err1 := strconv.Atoi(f[0])
	h, err2 := strconv.Atoi(f[1])
	if err1 != nil || err2 != nil || l > h {
		return lo, hi
	}
	return l, h
}

// claim reserves port, and its bus port, against other processes: go test runs the test
// binaries of several packages at once, each starting servers, and a port one of them
// has probed free but not bound yet looks free to the others too. CI once saw two
// processes start servers on the same port: one failed, and the other's runbook went on
// talking to a server that was not its own. The reservation is an exclusive flock on a
// file named after the port, held until the process exits (the kernel releases it then,
// however the process ends). A port whose lock another process holds is skipped.
func claim(port int) bool {
	dir := filepath.Join(os.TempDir(), "kvplace-ports")
	if err := os.MkdirAll(dir, 0o777); err != nil {
		return true // no place for locks: fall back on the probe alone
	}
	var held []*os.File
	for _, p := range []int{port, port + 10000} {
		f, err := os.OpenFile(filepath.Join(dir, strconv.Itoa(p)+".lock"), os.O_CREATE|os.O_RDWR, 0o666)
		if err != nil {
			release(held)
			return true
		}
		if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
			f.Close()
			release(held)
			return false
		}
		held = append(held, f)
	}
	locks = append(locks, held...)
	return true
}

func release(fs []*os.File) {
	for _, f := range fs {
		_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	}
}

// locks are the port locks this process holds, open for its lifetime.
var locks []*os.File

// handed holds every port FreePorts returned in this process: each is reserved for its
// caller (and its cluster bus port, port+10000, with it).
var (
	handedMu sync.Mutex
	handed   = map[int]bool{}
)

func free(port int) bool {
	l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port))
	if err != nil {
		return false
	}
	l.Close()
	return true
}

// CLI runs the real redis-cli with args and returns what it printed on stdout and stderr,
// merged, and its exit error if any.
func CLI(args ...string) (string, error) { return CLIInput("", args...) }

// CLIInput is CLI with stdin: redis-cli reads the answers to its questions from there (for
// --cluster fix, "yes\n" for each, since it asks even with --cluster-yes).
func CLIInput(stdin string, args ...string) (string, error) {
	_, bin, err := Binaries()
	if err != nil {
		return "", err
	}
	cmd := exec.Command(bin, args...)
	cmd.Stdin = strings.NewReader(stdin)
	cmd.Env = append(os.Environ(), "TERM=dumb") // no colour codes (redis-cli's isColorTerm)
	out, err := cmd.CombinedOutput()
	return strings.ReplaceAll(string(out), "\r\n", "\n"), err
}
