package live

import (
	"errors"
	"os/exec"
	"strings"
	"testing"
)

// TestFirewallCutsAndHeals: a cut drops a loopback connection from a server's own source
// address and a heal lets it through again (Probe checks both), and Close leaves no chain.
func TestFirewallCutsAndHeals(t *testing.T) {
	f, err := NewFirewall()
	if err != nil {
		t.Skipf("skipping: %v", err)
	}
	chain := f.chain
	if err := f.Probe(); err != nil {
		_ = f.Close()
		t.Fatal(err)
	}
	if err := f.Cut([]*Server{{Port: 7000, Source: "127.1.27.88"}}, []*Server{{Port: 7001, Source: "127.1.27.89"}}); err != nil {
		t.Fatal(err)
	}
	rules, _ := exec.Command("iptables", "-w", "-S", chain).CombinedOutput()
	if n := strings.Count(string(rules), "-j DROP"); n != 4 {
		t.Errorf("%d DROP rules for one pair, want 4 (each side's calls and their answers):\n%s", n, rules)
	}
	for _, want := range []string{"-s 127.1.27.88/32 -p tcp -m multiport --dports 7001,17001 -j DROP", "-d 127.1.27.89/32 -p tcp -m multiport --sports 7000,17000 -j DROP"} {
		if !strings.Contains(string(rules), want) {
			t.Errorf("no rule %q in:\n%s", want, rules)
		}
	}
	err = f.Cut([]*Server{{Port: 7002}}, []*Server{{Port: 7003, Source: "127.1.27.91"}})
	if err == nil || !strings.Contains(err.Error(), "127.0.0.1:7002 has no source address") {
		t.Errorf("a server without a source address: %v", err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("iptables", "-w", "-S", chain).CombinedOutput(); err == nil {
		t.Errorf("chain %s is still there after Close:\n%s", chain, out)
	} else if ee := (*exec.ExitError)(nil); !errors.As(err, &ee) {
		t.Fatal(err)
	}
}

// TestFirewallWithoutIptables: with no iptables to run, NewFirewall says what is missing.
func TestFirewallWithoutIptables(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	_, err := NewFirewall()
	if !errors.Is(err, ErrNoFirewall) {
		t.Fatalf("got %v, want ErrNoFirewall", err)
	}
	if !strings.Contains(err.Error(), "apt-get install -y iptables") {
		t.Errorf("the error does not say how to get iptables: %v", err)
	}
}
