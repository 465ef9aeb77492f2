// Package live runs real redis-server processes on loopback, so that what the simulator
// claims about Redis can be checked against Redis itself. It starts and stops servers in
// cluster mode (each in its own directory, on ports whose cluster bus ports are free too),
// speaks enough RESP2 to send commands, and runs the real redis-cli.
//
// Unlike everything else under sim, this package does real I/O and reads the wall clock;
// nothing deterministic depends on it.
package live
