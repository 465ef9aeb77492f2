package scenario

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestGenerateParsesAndRuns: generated runbooks parse, the same seed gives the same text,
// another seed another, the ports given are the ports used, and every operation the
// generator knows comes up within a few hundred seeds. A few of them run in simulation to
// the end, twice with the same transcript.
func TestGenerateParsesAndRuns(t *testing.T) {
	seen := map[string]int{}
	kinds := map[string]string{
		"create": "--cluster create", "add-node": "--cluster add-node", "add replica": "--cluster-slave",
		"reshard": "--cluster reshard", "pipeline": "--cluster-pipeline", "rebalance": "--cluster rebalance",
		"weight": "--cluster-weight", "threshold": "--cluster-threshold", "empty masters": "--cluster-use-empty-masters",
		"del-node": "--cluster del-node", "failover": "cluster failover\n", "force": "cluster failover force",
		"takeover": "cluster failover takeover", "stop": "docker stop", "kill": "docker kill", "start": "docker start",
		"fix": "--cluster fix", "check": "--cluster check", "set-timeout": "--cluster set-timeout",
		"set": " set key:", "get": " get key:", "load": "\nload ", "partition": "\npartition ", "heal": "\nheal",
		"short sleep": "ms\n", "sleep": "s\n", "nodes": "cluster nodes", "info": "cluster info",
	}
	for seed := uint64(1); seed <= 300; seed++ {
		text := Generate(seed, GenOptions{Partitions: true})
		require.Equal(t, text, Generate(seed, GenOptions{Partitions: true}), "seed %d twice", seed)
		_, err := ParseNamed(fmt.Sprint("seed ", seed), strings.NewReader(text))
		require.NoError(t, err, text)
		for k, s := range kinds {
			if strings.Contains(text, s) {
				seen[k]++
			}
		}
	}
	for k := range kinds {
		assert.NotZero(t, seen[k], "no runbook of 300 has %s", k)
	}
	assert.NotEqual(t, Generate(1, GenOptions{}), Generate(2, GenOptions{}))
	assert.NotContains(t, strings.Join([]string{Generate(1, GenOptions{}), Generate(2, GenOptions{}), Generate(3, GenOptions{})}, ""), "partition")

	ports := make([]int, MaxGenNodes)
	for i := range ports {
		ports[i] = 20001 + 7*i
	}
	moved := Generate(5, GenOptions{Ports: ports})
	assert.NotContains(t, moved, ":7001")
	assert.Contains(t, moved, "--port 20001")

	for seed := uint64(1); seed <= 4; seed++ {
		rb := parseText(t, Generate(seed, GenOptions{Partitions: true}))
		var a, b bytes.Buffer
		require.NoError(t, RunSim(rb, &a, Options{Seed: 3}), "case %d", seed)
		require.NoError(t, RunSim(rb, &b, Options{Seed: 3}), "case %d", seed)
		require.Equal(t, a.String(), b.String(), "case %d, the same seed twice", seed)
	}
}
