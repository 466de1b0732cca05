#!/usr/bin/env python3
"""Generate Falcon Data Replicator-shaped NDJSON for benchmarks.

Events follow the shapes of the public FDR samples (../shared/data/falcon): every value a JSON string,
the common header fields (event_simpleName, event_platform, name, aid, cid, aip, id, timestamp,
ConfigBuild, ConfigStateHash, Entitlements, EffectiveTransmissionClass) and per-type fields.
Mix: ProcessRollup2 55 %, NetworkConnectIP4 20 %, DnsRequest 15 %, UserLogon 10 %. Deterministic
for a given seed.

usage: bench/gen_fdr.py [--size-mb 1024] [--seed 1] [--out bench/data/fdr_1g.ndjson]
"""

import argparse
import json
import os
import random

IMAGES = [
    r"\Device\HarddiskVolume2\Windows\System32\cmd.exe",
    r"\Device\HarddiskVolume2\Windows\System32\WindowsPowerShell\v1.0\powershell.exe",
    r"\Device\HarddiskVolume2\Windows\System32\certutil.exe",
    r"\Device\HarddiskVolume2\Windows\System32\svchost.exe",
    r"\Device\HarddiskVolume2\Program Files\Google\Chrome\Application\chrome.exe",
    r"\Device\HarddiskVolume2\Windows\System32\rundll32.exe",
    r"\Device\HarddiskVolume2\Windows\explorer.exe",
]
ARGS = [
    "", " /c whoami", " -NoProfile -ExecutionPolicy Bypass -File C:\\Scripts\\update.ps1",
    " -addstore -f Root C:\\Users\\Public\\ca.cer", " -k netsvcs -p -s Schedule",
    " --type=renderer --field-trial-handle=1724,i,4242 --lang=en-US", " shell32.dll,Control_RunDLL",
]
DOMAINS = ["example.com", "update.microsoft.com", "raw.githubusercontent.com", "corp.local", "cdn.example.net"]


def hexid(rng, n=32):
    return "%0*x" % (n, rng.getrandbits(4 * n))


def header(rng, name, version, ts, aid, platform="Win"):
    return {
        "ConfigBuild": "1007.3.0011603.1",
        "ConfigStateHash": str(rng.getrandbits(32)),
        "EffectiveTransmissionClass": "3",
        "Entitlements": "15",
        "aid": aid,
        "aip": "203.0.113.%d" % rng.randrange(1, 255),
        "cid": "ffffffff30a3407dae27d0503611022d",
        "event_platform": platform,
        "event_simpleName": name,
        "id": "%s-%s-11eb-%s-%s" % (hexid(rng, 8), hexid(rng, 4), hexid(rng, 4), hexid(rng, 12)),
        "name": "%s%s" % (name, version),
        "timestamp": str(ts),
    }


def process(rng, ts, aid):
    i = rng.randrange(len(IMAGES))
    image = IMAGES[i]
    exe = image.rsplit("\\", 1)[1]
    e = {
        "AuthenticationId": rng.choice(["999", "293628", "3134583"]),
        "CommandLine": '"C:\\%s"%s' % (image.split("\\", 3)[3], ARGS[i]),
        "ImageFileName": image,
        "ImageSubsystem": "3",
        "IntegrityLevel": rng.choice(["16384", "12288", "8192"]),
        "MD5HashData": hexid(rng),
        "ParentAuthenticationId": "999",
        "ParentBaseFileName": rng.choice(["explorer.exe", "services.exe", "cmd.exe", "splunkd.exe"]),
        "ParentProcessId": str(rng.getrandbits(36)),
        "ProcessCreateFlags": str(rng.getrandbits(26)),
        "ProcessEndTime": "",
        "ProcessParameterFlags": "24577",
        "ProcessStartTime": "%.3f" % (ts / 1000 - 0.6),
        "ProcessSxsFlags": "64",
        "RawProcessId": str(rng.randrange(4, 65536)),
        "SHA1HashData": "0" * 40,
        "SHA256HashData": hexid(rng, 64),
        "SessionId": rng.choice(["0", "1", "2"]),
        "SourceProcessId": str(rng.getrandbits(36)),
        "SourceThreadId": str(rng.getrandbits(40)),
        "Tags": "27, 151, 12094627905582, 12094627906234",
        "TargetProcessId": str(rng.getrandbits(40)),
        "TokenType": "1",
        "UserSid": rng.choice(["S-1-5-18", "S-1-5-21-4230534742-2542757381-3142984815-1111"]),
        "WindowFlags": "384",
        "FileName": exe,
    }
    e.update(header(rng, "ProcessRollup2", "V17", ts, aid))
    return e


def network(rng, ts, aid):
    e = {
        "ConnectionDirection": "0",
        "ConnectionFlags": "0",
        "ContextProcessId": str(rng.getrandbits(38)),
        "ContextTimeStamp": "%.3f" % (ts / 1000 - 0.1),
        "InContext": "0",
        "LocalAddressIP4": "10.0.%d.%d" % (rng.randrange(256), rng.randrange(1, 255)),
        "LocalPort": str(rng.randrange(1024, 65535)),
        "Protocol": "6",
        "RemoteAddressIP4": "198.51.100.%d" % rng.randrange(1, 255),
        "RemotePort": rng.choice(["443", "80", "445", "3389"]),
    }
    e.update(header(rng, "NetworkConnectIP4", "V5", ts, aid))
    return e


def dns(rng, ts, aid):
    e = {
        "ContextProcessId": str(rng.getrandbits(38)),
        "ContextThreadId": str(rng.getrandbits(44)),
        "ContextTimeStamp": "%.3f" % (ts / 1000 - 0.2),
        "DnsRequestCount": "1",
        "DomainName": "%s.%s" % (hexid(rng, 6), rng.choice(DOMAINS)),
        "DualRequest": "0",
        "InterfaceIndex": "0",
        "RequestType": rng.choice(["1", "28"]),
    }
    e.update(header(rng, "DnsRequest", "V3", ts, aid))
    return e


def logon(rng, ts, aid):
    e = {
        "AuthenticationId": str(rng.getrandbits(24)),
        "LogonDomain": "CORP",
        "LogonTime": "%.3f" % (ts / 1000 - 1),
        "LogonType": rng.choice(["2", "3", "10"]),
        "PasswordLastSet": "1604000000.000",
        "RemoteAddressIP4": "10.0.0.%d" % rng.randrange(1, 255),
        "UserName": rng.choice(["alice", "bob", "svc_backup", "admin"]),
        "UserPrincipal": "user@corp.local",
        "UserSid": "S-1-5-21-4230534742-2542757381-3142984815-%d" % rng.randrange(1000, 2000),
        "UserIsAdmin": rng.choice(["0", "1"]),
    }
    e.update(header(rng, "UserLogon", "V12", ts, aid))
    return e


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size-mb", type=int, default=1024)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", default="bench/data/fdr_1g.ndjson")
    a = ap.parse_args()
    rng = random.Random(a.seed)
    aids = [hexid(rng) for _ in range(200)]
    kinds = [process] * 55 + [network] * 20 + [dns] * 15 + [logon] * 10
    target = a.size_mb << 20
    os.makedirs(os.path.dirname(a.out) or ".", exist_ok=True)
    ts = 1_700_000_000_000
    written = events = 0
    with open(a.out, "w", encoding="utf-8") as f:
        buf = []
        while written < target:
            ts += rng.randrange(0, 50)
            line = json.dumps(rng.choice(kinds)(rng, ts, rng.choice(aids)), separators=(",", ":")) + "\n"
            buf.append(line)
            written += len(line)
            events += 1
            if len(buf) >= 10000:
                f.write("".join(buf))
                buf.clear()
        f.write("".join(buf))
    print("wrote %d events, %d bytes to %s" % (events, written, a.out))


if __name__ == "__main__":
    main()
