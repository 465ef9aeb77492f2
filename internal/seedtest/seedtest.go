// Package seedtest runs a test once per seed and prints how to replay a failing one.
package seedtest

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
)

// test is what ForSeeds needs of *testing.T.
type test[T any] interface {
	Helper()
	Fatalf(format string, args ...any)
	Logf(format string, args ...any)
	Failed() bool
	Name() string
	Cleanup(func())
	Run(name string, f func(T)) bool
}

// SeedEnv names the environment variable that makes ForSeeds run a single seed: the way
// to replay a failure.
const SeedEnv = "KVPLACE_SEED"

// ForSeeds runs fn as one subtest per seed, 1..n, named "seed=N". A failing subtest prints
// the one-line command that replays it alone; with KVPLACE_SEED=N set, only seed N runs.
//
// T is *testing.T; the type parameter lets this package do without importing testing.
func ForSeeds[T test[T]](t T, n int, fn func(t T, seed uint64)) {
	t.Helper()
	seeds := make([]uint64, 0, n)
	if v := os.Getenv(SeedEnv); v != "" {
		seed, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			t.Fatalf("%s=%q is not a seed", SeedEnv, v)
		}
		seeds = append(seeds, seed)
	} else {
		for i := 1; i <= n; i++ {
			seeds = append(seeds, uint64(i))
		}
	}
	for _, seed := range seeds {
		t.Run(fmt.Sprintf("seed=%d", seed), func(t T) {
			t.Cleanup(func() {
				if t.Failed() {
					t.Logf("replay: %s=%d go test ./%s -run '^%s$'", SeedEnv, seed, packageDir(), topName(t.Name()))
				}
			})
			fn(t, seed)
		})
	}
}

func topName(name string) string {
	for i := range len(name) {
		if name[i] == '/' {
			return name[:i]
		}
	}
	return name
}

// packageDir returns the working directory (a test's package) relative to the module root.
func packageDir() string {
	wd, err := os.Getwd()
	if err != nil {
		return "..."
	}
	for dir := wd; ; dir = filepath.Dir(dir) {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			rel, err := filepath.Rel(dir, wd)
			if err != nil || rel == "." {
				return "."
			}
			return filepath.ToSlash(rel)
		}
		if filepath.Dir(dir) == dir {
			return "."
		}
	}
}
