# cache-cpu.py - CPU (user+sys, getrusage of the children: microseconds, where GNU time has
# 10 ms steps) of one trivial `duckflow step` that misses the cache (lookup, run, commit,
# entry), the same with --no-cache, one that hits it (commits a reused manifest, opens no
# DuckDB), and a bare DuckDB process running SELECT 1; medians of 20 (CACHE_CPU_N=...).
# Run it from an empty folder: python3 bench/cache-cpu.py [DUCKFLOW...] (after make build
# and bench/overhead.sh, which builds build/bench/duckdb-sql). Several duckflow binaries
# (e.g. main's and a branch's) are measured interleaved, in the same go, against the
# same bare process; the default is this tree's build/duckflow.
import resource, subprocess, shutil, statistics, sys, os
top = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
bins = sys.argv[1:] or [top + "/build/duckflow"]
B = top + "/build/bench/duckdb-sql"; P = top + "/bench/trivial.yaml"
N = int(os.environ.get("CACHE_CPU_N", "20"))
def cpu(cmd, prep=None):
    if prep: prep()
    r0=resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    r1=resource.getrusage(resource.RUSAGE_CHILDREN)
    return (r1.ru_utime-r0.ru_utime+r1.ru_stime-r0.ru_stime)*1000
def rm(*ps):
    def f():
        for p in ps: shutil.rmtree(p, ignore_errors=True)
    return f
res={"bare":[]}
for i in range(N):
    res["bare"].append(cpu([B,"-t","1","-c","SELECT 1"]))
    for j, D in enumerate(bins):
        st = "st%d" % j
        for k in ("step", "nocache", "hit"): res.setdefault((j, k), [])
        res[(j, "step")].append(cpu([D,"step",P,"--store",st,"--run","b1","--step","one","--item","0","--param","n=1"], rm(st+"/trivial/runs/b1/one",st+"/trivial/cache")))
        res[(j, "nocache")].append(cpu([D,"step",P,"--store",st,"--run","b3","--step","one","--item","0","--param","n=1","--no-cache"], rm(st+"/trivial/runs/b3/one")))
        res[(j, "hit")].append(cpu([D,"step",P,"--store",st,"--run","b2","--step","one","--item","0","--param","n=1"], rm(st+"/trivial/runs/b2/one")))
bare = statistics.median(res["bare"])
print("bare median %.1f ms CPU" % bare)
for j, D in enumerate(bins):
    print(D)
    for k in ("step", "nocache", "hit"):
        m = statistics.median(res[(j, k)])
        print("  %-8s median %.1f ms CPU (%+.1f ms above bare)" % (k, m, m - bare))
