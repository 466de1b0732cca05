#!/usr/bin/env python3
"""Writes FDR-shaped NDJSON (Falcon Data Replicator): process, registry, DNS, network and logon events,
with a small share of certificate-store registry writes. Usage: gen.py OUT.ndjson SIZE_MB [SEED]"""
import json
import random
import sys

out, size_mb = sys.argv[1], float(sys.argv[2])
rng = random.Random(int(sys.argv[3]) if len(sys.argv) > 3 else 1)
hosts = [f"WS-{i:04d}" for i in range(2000)]
hives = ["\\REGISTRY\\MACHINE\\", "\\REGISTRY\\USER\\S-1-5-21-1004336348-1177238915-682003330-1107\\"]
cert = ["SOFTWARE\\Microsoft\\SystemCertificates\\ROOT\\Certificates\\", "SOFTWARE\\Microsoft\\SystemCertificates\\CA\\Certificates\\",
        "SOFTWARE\\Policies\\Microsoft\\SystemCertificates\\Root\\Certificates\\"]
other_keys = ["SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run", "SYSTEM\\CurrentControlSet\\Services\\bam\\State\\UserSettings",
              "SOFTWARE\\Microsoft\\SystemCertificates\\Disallowed\\Certificates\\7D7F4414", "SOFTWARE\\Classes\\CLSID\\{0000}\\InprocServer32"]
images = ["cmd.exe", "powershell.exe", "svchost.exe", "chrome.exe", "explorer.exe", "certutil.exe", "msedge.exe", "OneDrive.exe"]
limit = size_mb * 1024 * 1024
written = 0
t = 1717200000000
with open(out, "w") as f:
    while written < limit:
        t += rng.randint(1, 50)
        host = rng.choice(hosts)
        e = {"timestamp": str(t), "aid": "%032x" % rng.getrandbits(128), "cid": "c0ffee00c0ffee00c0ffee00c0ffee00",
             "event_platform": "Win", "ComputerName": host, "name": "", "id": "%08x-%04x" % (rng.getrandbits(32), rng.getrandbits(16))}
        r = rng.random()
        if r < 0.45:
            img = rng.choice(images)
            e.update(event_simpleName="ProcessRollup2", name="ProcessRollup2V19", FileName=img,
                     ImageFileName="\\Device\\HarddiskVolume3\\Windows\\System32\\" + img,
                     CommandLine=f"{img} /c echo {rng.getrandbits(40):x} --flag value", UserName="CORP\\user%d" % rng.randint(1, 500),
                     TargetProcessId=str(rng.getrandbits(40)), ParentProcessId=str(rng.getrandbits(40)),
                     SHA256HashData="%064x" % rng.getrandbits(256), ParentBaseFileName=rng.choice(images))
        elif r < 0.70:
            key = rng.choice(hives) + (rng.choice(cert) + "%040X" % rng.getrandbits(160) if rng.random() < 0.002 else rng.choice(other_keys))
            e.update(event_simpleName=rng.choice(["RegGenericValueUpdate", "AsepValueUpdate"]), RegObjectName=key,
                     RegValueName="Blob", RegOperationType="1", RegType="3", ContextProcessId=str(rng.getrandbits(40)),
                     AuthenticationId="999")
            if rng.random() < 0.3:
                e["FileName"] = rng.choice(images)
        elif r < 0.85:
            e.update(event_simpleName="DnsRequest", DomainName="host%d.example.org" % rng.randint(1, 10000), RequestType="1",
                     ContextProcessId=str(rng.getrandbits(40)))
        else:
            e.update(event_simpleName="NetworkConnectIP4", RemoteAddressIP4="203.0.113.%d" % rng.randint(1, 254),
                     RemotePort=str(rng.choice([443, 80, 445, 3389])), LocalPort=str(rng.randint(1024, 65535)),
                     ContextProcessId=str(rng.getrandbits(40)))
        line = json.dumps(e, separators=(",", ":")) + "\n"
        f.write(line)
        written += len(line)
