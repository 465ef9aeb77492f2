package live

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// A Firewall cuts the connections between real servers on loopback, as a network
// partition would, with iptables rules in a chain of its own.
//
// Every server listens on 127.0.0.1, so its ports tell who is being called but not who is
// calling. Servers that may be cut off are therefore given a source address of their own
// (Server.Source, Redis's bind-source-addr), from which they open their cluster bus and
// replication connections. Cutting A from B then drops, in the INPUT chain that loopback
// traffic crosses, what A's address sends to B's ports and what B's ports send back to A's
// address, and the same the other way: both directions of every connection either opens
// to the other, silently, as a lost cable would, so TCP retransmits until the cut heals or
// the connection is given up. Clients on 127.0.0.1 still reach every server, as the
// runbooks' redis-cli lines expect. Its rules live in iptables alone; its methods may be
// called from several goroutines.
type Firewall struct {
	chain  string
	forget func() // unregisters the chain from what an interrupted command cleans up

	// mu orders the iptables calls of a cut with the chain's removal, which an interrupt
	// runs on a goroutine of its own: a rule added between the flush and the delete would
	// keep the chain alive. removed refuses cuts once the chain is gone.
	mu      sync.Mutex
	removed bool
}

// ErrNoFirewall reports that iptables cannot be used here.
var ErrNoFirewall = errors.New("live: network partitions need iptables and the right to change its rules (root); Debian: apt-get install -y iptables")

// firewalls numbers the firewalls of this process.
var firewalls atomic.Int64

// NewFirewall creates an empty chain, named after this process and numbered within it so
// that concurrent runs keep apart, and sends loopback INPUT through it. Close removes both.
func NewFirewall() (*Firewall, error) {
	if _, err := exec.LookPath("iptables"); err != nil {
		return nil, ErrNoFirewall
	}
	f := &Firewall{chain: fmt.Sprintf("KVPLACE-%d-%d", os.Getpid(), firewalls.Add(1))}
	if err := iptables("-N", f.chain); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNoFirewall, err)
	}
	if err := iptables("-I", "INPUT", "-i", "lo", "-j", f.chain); err != nil {
		_ = iptables("-X", f.chain)
		return nil, fmt.Errorf("%w: %v", ErrNoFirewall, err)
	}
	f.forget = onInterrupt(func() { _ = f.remove() })
	return f, nil
}

// Cut drops every packet between the servers of side a and those of side b. Each needs a
// Source address.
func (f *Firewall) Cut(a, b []*Server) error {
	for _, x := range a {
		for _, y := range b {
			for _, pair := range [][2]*Server{{x, y}, {y, x}} {
				from, to := pair[0], pair[1]
				if from.Source == "" {
					return fmt.Errorf("live: server %s has no source address of its own, so its connections cannot be told apart", from.Addr())
				}
				if err := f.block(from.Source, to.Port, to.Port+10000); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// block drops what source sends to ports on 127.0.0.1 and what those ports send back.
func (f *Firewall) block(source string, ports ...int) error {
	var list []string
	for _, p := range ports {
		list = append(list, strconv.Itoa(p))
	}
	joined := strings.Join(list, ",")
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.removed {
		return errors.New("live: the firewall is closed")
	}
	return errors.Join(
		iptables("-A", f.chain, "-s", source, "-p", "tcp", "-m", "multiport", "--dports", joined, "-j", "DROP"),
		iptables("-A", f.chain, "-d", source, "-p", "tcp", "-m", "multiport", "--sports", joined, "-j", "DROP"))
}

// Probe checks that cuts take effect here, as some sandboxes accept rules and ignore them:
// a connection from a source address of its own to a listener on 127.0.0.1 must open, and
// must time out once cut. It leaves the firewall healed.
func (f *Firewall) Probe() error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	const source = "127.1.255.254"
	port := ln.Addr().(*net.TCPAddr).Port
	dial := func() error {
		d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(source)}, Timeout: 300 * time.Millisecond}
		c, err := d.Dial("tcp", ln.Addr().String())
		if err == nil {
			c.Close()
		}
		return err
	}
	if err := dial(); err != nil {
		return fmt.Errorf("live: cannot connect from %s on loopback: %w", source, err)
	}
	if err := f.block(source, port); err != nil {
		return err
	}
	cutErr := dial()
	if err := f.Heal(); err != nil {
		return err
	}
	if cutErr == nil {
		return errors.New("live: an iptables DROP rule on loopback did not take effect here")
	}
	return nil
}

// Heal removes every cut.
func (f *Firewall) Heal() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.removed {
		return nil
	}
	return iptables("-F", f.chain)
}

// Close heals and removes the chain.
func (f *Firewall) Close() error {
	if f.forget != nil {
		f.forget()
	}
	return f.remove()
}

// remove deletes the chain's rules, its jump from INPUT and the chain.
func (f *Firewall) remove() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.removed {
		return nil
	}
	f.removed = true
	err := errors.Join(iptables("-F", f.chain), iptables("-D", "INPUT", "-i", "lo", "-j", f.chain))
	return errors.Join(err, iptables("-X", f.chain))
}

// iptables runs iptables with args, waiting for the xtables lock if another run holds it.
func iptables(args ...string) error {
	out, err := exec.Command("iptables", append([]string{"-w"}, args...)...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("iptables %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return nil
}
