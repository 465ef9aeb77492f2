#!/usr/bin/env bash
# A failover sweep as a Slurm job array: 8 tasks, each running its shard of 1000 seeds
# (Slurm's SLURM_ARRAY_TASK_ID of SLURM_ARRAY_TASK_COUNT), then a merge job that starts
# once every task has succeeded and prints what the unsharded run prints, byte for byte.
# Run it from the repository root on the cluster's login node:
#   bash deploy/slurm/failover-sweep.sh            # or RUNS=200 FLAGS="-masters 30" bash ...
set -euo pipefail
runs=${RUNS:-1000}
flags=${FLAGS:-"-masters 30 -node-timeout 2s"}
tasks=${TASKS:-8}
mkdir -p results
go build -o results/failover ./experiments/failover
array=$(sbatch --parsable --job-name=kvplace-failover --array=0-$((tasks - 1)) \
  --cpus-per-task=1 --mem=512M --output=results/shard-%a.log \
  --wrap="results/failover -runs $runs $flags -jsonl -q > results/shard-\$SLURM_ARRAY_TASK_ID.jsonl")
sbatch --job-name=kvplace-failover-merge --dependency=afterok:"$array" --output=results/summary.txt \
  --wrap="results/failover -merge -csv results/shard-*.jsonl > results/runs.csv && results/failover -merge -out results/figures results/shard-*.jsonl"
echo "submitted array job $array; the summary lands in results/summary.txt"
