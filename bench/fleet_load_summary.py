#!/usr/bin/env python3
"""Summarises bench/results/fleet-load.csv (make bench-fleet-load): averages of the rates and
CPU over windows (deletes come in bursts every 30 s, so single 15 s samples alternate), and
the sizes and rows at the end of each window. Usage: fleet_load_summary.py CSV [WINDOW_MINUTES]"""
import csv
import sys

rows = list(csv.DictReader(open(sys.argv[1])))
window = float(sys.argv[2]) if len(sys.argv) > 2 else 5
mib = lambda b: float(b) / 1048576
avg = lambda rs, k: sum(float(r[k]) for r in rs) / len(rs)
print(f"{'minutes':>9} {'commit/s':>8} {'writes/s':>8} {'ins/s':>6} {'upd/s':>6} {'del/s':>6} {'WAL KiB/s':>9} {'PG %core':>8} "
      f"{'drv %core':>9} {'load1':>5} {'db MiB':>7} {'evid MiB':>8} {'evid rows':>9} {'lease MiB':>9} {'lease rows':>10} "
      f"{'hosts KiB':>9} {'spend KiB':>9} {'buf':>4} {'drop':>4} {'lag s':>5}")
start = 0.0
while True:
    part = [r for r in rows if start < float(r["elapsed_s"]) <= start + window * 60]
    if not part:
        break
    last = part[-1]
    print(f"{start/60:4.0f}-{(start/60+window):<4.0f} {avg(part,'commits_per_s'):8.0f} {avg(part,'writes_per_s'):8.0f} "
          f"{avg(part,'inserts_per_s'):6.0f} {avg(part,'updates_per_s'):6.0f} {avg(part,'deletes_per_s'):6.0f} "
          f"{avg(part,'wal_bytes_per_s')/1024:9.0f} {avg(part,'pg_cpu_pct_core'):8.1f} {avg(part,'driver_cpu_pct_core'):9.1f} "
          f"{avg(part,'load1'):5.1f} {mib(last['db_bytes']):7.1f} {mib(last['fleet_evidence_bytes']):8.1f} "
          f"{float(last['fleet_evidence_rows']):9.0f} {mib(last['fleet_probe_leases_bytes']):9.2f} {float(last['fleet_probe_leases_rows']):10.0f} "
          f"{float(last['fleet_hosts_bytes'])/1024:9.0f} {float(last['fleet_probe_spend_bytes'])/1024:9.0f} "
          f"{max(int(r['buffered']) for r in part):4d} {max(int(r['dropped']) for r in part):4d} {max(float(r['max_publish_lag_s']) for r in part):5.2f}")
    start += window * 60
