// Package client is an application's view of a cluster: GoRedis, a simulated go-redis
// ClusterClient that reports how each request ended; Real, the real go-redis for live
// runs, with the same record; open-loop load (OpenLoop); and a Ledger of acknowledged
// writes that a read-back (ReadBack) checks for loss. Experiments and runbooks use it
// alike.
package client
