//! Built-in targets: how a rule's log source routes to events, and how its field names map,
//! for Windows event logs (`windows`), CrowdStrike Falcon (`falcon`), Microsoft Defender for
//! Endpoint (`mde`) and Elastic Common Schema (`ecs`).

use crate::rule::Logsource;

/// A conjunction of "field is one of these values" tests (case-insensitive) that says which
/// events a rule variant can apply to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Route {
    pub selectors: Vec<(String, Vec<String>)>,
}

/// One way a rule runs under a target: its route and its field renames.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Variant {
    pub route: Route,
    /// Sigma field → target field(s).
    pub fields: Vec<(&'static str, &'static [&'static str])>,
    /// Name of the variant in diagnostics (`sysmon`, `security-4688`, …).
    pub label: &'static str,
    /// The channel writes EventData names with spaces (`Source Name`) where Sigma writes
    /// `SourceName`: a field also matches its spaced spelling.
    pub spaced_names: bool,
    /// Sigma field → how its values are rewritten for the target (after the field rename).
    pub values: Vec<(&'static str, ValueMap)>,
    /// Sigma fields the target spells the same way (no rename needed, but mapped).
    pub same_names: &'static [&'static str],
}

impl Variant {
    fn new(route: Route, label: &'static str) -> Self {
        Variant {
            route,
            fields: Vec::new(),
            label,
            spaced_names: false,
            values: Vec::new(),
            same_names: &[],
        }
    }

    /// The value mapping of a Sigma field, if it has one.
    pub fn value_map(&self, sigma_field: &str) -> Option<&ValueMap> {
        self.values
            .iter()
            .find(|(f, _)| *f == sigma_field)
            .map(|(_, m)| m)
    }

    /// Every field a rule lowered for this variant can test: routing fields, renamed fields,
    /// fields a value mapping moves a test to, and fields spelled as in Sigma.
    pub fn target_fields(&self) -> Vec<&str> {
        let mut out: Vec<&str> = self
            .route
            .selectors
            .iter()
            .map(|(f, _)| f.as_str())
            .collect();
        for (_, targets) in &self.fields {
            for t in *targets {
                if *t == FALCON_REGISTRY_PATH {
                    out.extend(["RegObjectName", "RegValueName"]);
                } else {
                    out.push(t);
                }
            }
        }
        for (_, m) in &self.values {
            match m {
                ValueMap::Hashes(table) => out.extend(table.iter().filter_map(|(_, f)| *f)),
                ValueMap::IpFamily { v4, v6 } => out.extend([*v4, *v6]),
                _ => {}
            }
        }
        out.extend(self.same_names.iter().copied());
        out
    }
}

/// How a Sigma field's values are rewritten when the target stores the value differently.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ValueMap {
    /// Windows paths with a drive letter (`C:\…`) are NT device paths in the target
    /// (`\Device\HarddiskVolumeN\…`).
    DevicePath,
    /// The target holds only the file name (last component after `separator`): a value is
    /// reduced to the file name where that keeps its meaning, and refused where it does not.
    FileName { separator: char },
    /// Names with a fixed target value (integrity levels, DNS record types, connection
    /// direction); an unknown name is refused.
    Names(&'static NameTable),
    /// Sysmon's `Hashes` list (`SHA1=…,MD5=…,IMPHASH=…`): each `ALGO=hex` test becomes a test on
    /// the target's field for that algorithm (`None`: the target has no such field).
    Hashes(&'static [(&'static str, Option<&'static str>)]),
    /// The target keeps IPv4 and IPv6 addresses in separate fields: an address (or `|cidr`
    /// network) of one family is tested on that family's field only; partial values on both.
    IpFamily { v4: &'static str, v6: &'static str },
}

/// A table of Sigma value names and the target values they stand for.
#[derive(Debug, PartialEq, Eq)]
pub struct NameTable {
    /// What the values are, for messages (`integrity level`).
    pub what: &'static str,
    /// Name (matched ignoring ASCII case) → target values (several are alternatives).
    pub names: &'static [(&'static str, &'static [&'static str])],
    /// Decimal numbers are already target values and pass unchanged.
    pub numbers_pass: bool,
    /// A prefix after which a decimal number is the target value (`S-1-16-` for integrity SIDs).
    pub number_prefix: Option<&'static str>,
}

impl NameTable {
    /// The target values for a Sigma value; `None` when it has no mapping.
    pub fn lookup(&self, value: &str) -> Option<Vec<String>> {
        let v = value.trim();
        if let Some((_, out)) = self.names.iter().find(|(n, _)| n.eq_ignore_ascii_case(v)) {
            return Some(out.iter().map(|s| (*s).to_owned()).collect());
        }
        let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        if self.numbers_pass && digits(v) {
            return Some(vec![v.to_owned()]);
        }
        let rest = self.number_prefix.and_then(|p| {
            v.get(..p.len())
                .filter(|h| h.eq_ignore_ascii_case(p))
                .map(|_| &v[p.len()..])
        })?;
        digits(rest).then(|| vec![rest.to_owned()])
    }

    /// The accepted names, for messages.
    pub fn names(&self) -> String {
        self.names
            .iter()
            .map(|(n, _)| *n)
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// `SourceName` → `Source Name`, `FWLink` → `FW Link`.
pub fn spaced(name: &str) -> String {
    let chars: Vec<char> = name.chars().collect();
    let mut out = String::with_capacity(name.len() + 4);
    for (i, &c) in chars.iter().enumerate() {
        if i > 0 && c.is_uppercase() {
            let prev = chars[i - 1];
            let next_lower = chars.get(i + 1).is_some_and(|n| n.is_lowercase());
            if prev.is_lowercase() || (prev.is_uppercase() && next_lower) {
                out.push(' ');
            }
        }
        out.push(c);
    }
    out
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    Windows,
    Falcon,
    Mde,
    Ecs,
    /// No routing and no field mapping: rules run on every event as written.
    Raw,
}

impl Target {
    pub fn parse(name: &str) -> Option<Self> {
        Some(match name.to_ascii_lowercase().as_str() {
            "windows" | "sysmon" => Self::Windows,
            "falcon" | "crowdstrike" | "crowdstrike_fdr" => Self::Falcon,
            "mde" | "defender" | "microsoft365defender" => Self::Mde,
            "ecs" | "elastic" => Self::Ecs,
            "raw" | "none" => Self::Raw,
            _ => return None,
        })
    }

    /// The target's name in messages (`Falcon`, `Windows`, …).
    pub fn display_name(self) -> &'static str {
        match self {
            Self::Windows => "Windows",
            Self::Falcon => "Falcon",
            Self::Mde => "Defender",
            Self::Ecs => "ECS",
            Self::Raw => "raw",
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::Windows => "windows",
            Self::Falcon => "falcon",
            Self::Mde => "mde",
            Self::Ecs => "ecs",
            Self::Raw => "raw",
        }
    }

    /// The variants a log source runs as; `None` when the target has no mapping for it.
    pub fn variants(self, ls: &Logsource) -> Option<Vec<Variant>> {
        match self {
            Self::Windows => windows(ls),
            Self::Falcon => falcon(ls),
            Self::Mde => mde(ls),
            Self::Ecs => ecs(ls),
            Self::Raw => None,
        }
    }
}

/// The pseudo field the Falcon target uses for Sigma's `TargetObject` (key + value name).
pub const FALCON_REGISTRY_PATH: &str = "\u{1}falcon:TargetObject";

pub const SYSMON_CHANNEL: &str = "Microsoft-Windows-Sysmon/Operational";

fn route(selectors: &[(&str, &[&str])]) -> Route {
    Route {
        selectors: selectors
            .iter()
            .map(|(f, vs)| {
                (
                    (*f).to_owned(),
                    vs.iter().map(|v| (*v).to_owned()).collect(),
                )
            })
            .collect(),
    }
}

/// Sysmon event ids per Sigma category (SigmaHQ logsource guide / pySigma `sysmon` pipeline).
fn sysmon_event_ids(category: &str) -> Option<&'static [&'static str]> {
    Some(match category {
        "process_creation" => &["1"],
        "file_change" => &["2"],
        "network_connection" => &["3"],
        "sysmon_status" => &["4", "16"],
        "process_termination" => &["5"],
        "driver_load" => &["6"],
        "image_load" => &["7"],
        "create_remote_thread" => &["8"],
        "raw_access_thread" | "raw_access_read" => &["9"],
        "process_access" => &["10"],
        "file_event" => &["11"],
        "registry_add" | "registry_delete" => &["12"],
        "registry_set" => &["13"],
        "registry_rename" => &["14"],
        "registry_event" => &["12", "13", "14"],
        "create_stream_hash" => &["15"],
        "pipe_created" => &["17", "18"],
        "wmi_event" => &["19", "20", "21"],
        "dns_query" => &["22"],
        "file_delete" => &["23", "26"],
        "clipboard_capture" => &["24"],
        "process_tampering" => &["25"],
        "file_delete_detected" => &["26"],
        "file_block_executable" => &["27"],
        "file_block_shredding" => &["28"],
        "file_executable_detected" => &["29"],
        "sysmon_error" => &["255"],
        _ => return None,
    })
}

/// Windows event log channel per Sigma `service` (pySigma `windows` pipeline).
fn windows_service_channel(service: &str) -> Option<&'static [&'static str]> {
    Some(match service {
        "security" => &["Security"],
        "system" => &["System"],
        "application" => &["Application"],
        "sysmon" => &[SYSMON_CHANNEL],
        "powershell" => &["Microsoft-Windows-PowerShell/Operational"],
        "powershell-classic" => &["Windows PowerShell"],
        "taskscheduler" => &["Microsoft-Windows-TaskScheduler/Operational"],
        "wmi" => &["Microsoft-Windows-WMI-Activity/Operational"],
        "dns-server" => &["DNS Server"],
        "dns-server-analytic" => &["Microsoft-Windows-DNS-Server/Analytical"],
        "dns-server-audit" => &["Microsoft-Windows-DNS-Server/Audit"],
        "dns-client" => &["Microsoft-Windows-DNS Client Events/Operational"],
        "driver-framework" => &["Microsoft-Windows-DriverFrameworks-UserMode/Operational"],
        "ntlm" => &["Microsoft-Windows-NTLM/Operational"],
        "windefend" => &["Microsoft-Windows-Windows Defender/Operational"],
        "firewall-as" => &["Microsoft-Windows-Windows Firewall With Advanced Security/Firewall"],
        "bits-client" => &["Microsoft-Windows-Bits-Client/Operational"],
        "codeintegrity-operational" => &["Microsoft-Windows-CodeIntegrity/Operational"],
        "applocker" => &[
            "Microsoft-Windows-AppLocker/MSI and Script",
            "Microsoft-Windows-AppLocker/EXE and DLL",
            "Microsoft-Windows-AppLocker/Packaged app-Deployment",
            "Microsoft-Windows-AppLocker/Packaged app-Execution",
        ],
        "msexchange-management" => &["MSExchange Management"],
        "appxdeployment-server" => &["Microsoft-Windows-AppXDeploymentServer/Operational"],
        "appxpackaging-om" => &["Microsoft-Windows-AppxPackaging/Operational"],
        "appmodel-runtime" => &["Microsoft-Windows-AppModel-Runtime/Admin"],
        "smbclient-security" => &["Microsoft-Windows-SmbClient/Security"],
        "smbclient-connectivity" => &["Microsoft-Windows-SmbClient/Connectivity"],
        "smbserver-security" => &["Microsoft-Windows-SMBServer/Security"],
        "openssh" => &["OpenSSH/Operational"],
        "ldap_debug" | "ldap" => &["Microsoft-Windows-LDAP-Client/Debug"],
        "lsa-server" => &["Microsoft-Windows-LSA/Operational"],
        "security-mitigations" => &[
            "Microsoft-Windows-Security-Mitigations/Kernel Mode",
            "Microsoft-Windows-Security-Mitigations/User Mode",
        ],
        "terminalservices-localsessionmanager" => {
            &["Microsoft-Windows-TerminalServices-LocalSessionManager/Operational"]
        }
        "terminalservices-remoteconnectionmanager" => {
            &["Microsoft-Windows-TerminalServices-RemoteConnectionManager/Operational"]
        }
        "rdp" | "remoteconnectionmanager" => {
            &["Microsoft-Windows-TerminalServices-RemoteConnectionManager/Operational"]
        }
        "shell-core" => &["Microsoft-Windows-Shell-Core/Operational"],
        "diagnosis-scripted" => &["Microsoft-Windows-Diagnosis-Scripted/Operational"],
        "printservice-admin" => &["Microsoft-Windows-PrintService/Admin"],
        "printservice-operational" => &["Microsoft-Windows-PrintService/Operational"],
        "capi2" => &["Microsoft-Windows-CAPI2/Operational"],
        "certificateservicesclient-lifecycle-system" => {
            &["Microsoft-Windows-CertificateServicesClient-Lifecycle-System/Operational"]
        }
        "vhdmp" => &["Microsoft-Windows-VHDMP-Operational"],
        "kernel-shimengine" => &[
            "Microsoft-Windows-Kernel-ShimEngine/Operational",
            "Microsoft-Windows-Kernel-ShimEngine/Diagnostic",
        ],
        "hyper-v-worker" => &["Microsoft-Windows-Hyper-V-Worker-Admin"],
        "iis-configuration" => &["Microsoft-IIS-Configuration/Operational"],
        "sense" => &["Microsoft-Windows-SENSE/Operational"],
        "microsoft-servicebus-client" => &["Microsoft-ServiceBus-Client"],
        "bitlocker" => &["Microsoft-Windows-BitLocker/BitLocker Management"],
        "wmi-activity" => &["Microsoft-Windows-WMI-Activity/Operational"],
        "winrm" => &["Microsoft-Windows-WinRM/Operational"],
        "gpo" | "group-policy" => &["Microsoft-Windows-GroupPolicy/Operational"],
        "dhcp" => &["Microsoft-Windows-DHCP-Server/Operational"],
        "kerberos" => &["Security"],
        _ => return None,
    })
}

/// Security 4688 spells the process fields differently from Sysmon event 1.
const SECURITY_4688_FIELDS: &[(&str, &[&str])] = &[
    ("Image", &["NewProcessName"]),
    ("ParentImage", &["ParentProcessName"]),
    ("ProcessId", &["NewProcessId"]),
    ("ParentProcessId", &["ProcessId"]),
    ("LogonId", &["SubjectLogonId"]),
    ("User", &["SubjectUserName"]),
];

fn windows(ls: &Logsource) -> Option<Vec<Variant>> {
    if ls.product.as_deref().is_some_and(|p| p != "windows") {
        return None;
    }
    if let Some(cat) = ls.category.as_deref() {
        let powershell = |eid: &'static [&'static str], channel: &'static str| Variant {
            route: route(&[("Channel", &[channel]), ("EventID", eid)]),
            fields: Vec::new(),
            label: "powershell",
            spaced_names: false,
            values: Vec::new(),
            same_names: &[],
        };
        match cat {
            "ps_script" => {
                return Some(vec![powershell(
                    &["4104"],
                    "Microsoft-Windows-PowerShell/Operational",
                )]);
            }
            "ps_module" => {
                return Some(vec![powershell(
                    &["4103"],
                    "Microsoft-Windows-PowerShell/Operational",
                )]);
            }
            "ps_classic_start" => return Some(vec![powershell(&["400"], "Windows PowerShell")]),
            "ps_classic_provider_start" => {
                return Some(vec![powershell(&["600"], "Windows PowerShell")]);
            }
            "ps_classic_script" => return Some(vec![powershell(&["800"], "Windows PowerShell")]),
            _ => {}
        }
        let eids = sysmon_event_ids(cat)?;
        let mut variants = vec![Variant {
            route: route(&[("Channel", &[SYSMON_CHANNEL]), ("EventID", eids)]),
            fields: Vec::new(),
            label: "sysmon",
            spaced_names: false,
            values: Vec::new(),
            same_names: &[],
        }];
        if cat == "process_creation" {
            variants.push(Variant {
                route: route(&[("Channel", &["Security"]), ("EventID", &["4688"])]),
                fields: SECURITY_4688_FIELDS.to_vec(),
                label: "security-4688",
                spaced_names: false,
                values: Vec::new(),
                same_names: &[],
            });
        }
        return Some(variants);
    }
    let channels = windows_service_channel(ls.service.as_deref()?)?;
    Some(vec![Variant {
        route: route(&[("Channel", channels)]),
        fields: Vec::new(),
        label: "channel",
        spaced_names: ls.service.as_deref() == Some("windefend"),
        values: Vec::new(),
        same_names: &[],
    }])
}

/// Windows mandatory integrity levels (the RID of the `S-1-16-N` label SID), as Falcon's
/// `IntegrityLevel` holds them.
pub static INTEGRITY_LEVELS: NameTable = NameTable {
    what: "integrity level",
    names: &[
        ("Untrusted", &["0"]),
        ("Low", &["4096"]),
        ("Medium", &["8192"]),
        ("Medium Plus", &["8448"]),
        ("Medium_Plus", &["8448"]),
        ("High", &["12288"]),
        ("System", &["16384"]),
        ("Protected", &["20480"]),
    ],
    numbers_pass: true,
    number_prefix: Some("S-1-16-"),
};

/// DNS record types (IANA RR TYPE numbers), as Falcon's `RequestType` holds them.
pub static DNS_RECORD_TYPES: NameTable = NameTable {
    what: "DNS record type",
    names: &[
        ("A", &["1"]),
        ("NS", &["2"]),
        ("CNAME", &["5"]),
        ("SOA", &["6"]),
        ("PTR", &["12"]),
        ("MX", &["15"]),
        ("TXT", &["16"]),
        ("AAAA", &["28"]),
        ("SRV", &["33"]),
        ("ANY", &["255"]),
    ],
    numbers_pass: true,
    number_prefix: None,
};

/// Sysmon's `Initiated` (the host opened the connection) → Falcon's connection event types.
pub static FALCON_CONNECTION_DIRECTION: NameTable = NameTable {
    what: "connection direction",
    names: &[
        ("true", &["NetworkConnectIP4", "NetworkConnectIP6"]),
        (
            "false",
            &["NetworkReceiveAcceptIP4", "NetworkReceiveAcceptIP6"],
        ),
    ],
    numbers_pass: false,
    number_prefix: None,
};

/// Falcon hash fields per Sysmon `Hashes` algorithm. `SHA1HashData` is often all zeros, so a
/// SHA1 test is refused rather than silently never matching; Falcon has no import hash.
const FALCON_HASHES: &[(&str, Option<&str>)] = &[
    ("MD5", Some("MD5HashData")),
    ("SHA256", Some("SHA256HashData")),
    ("SHA1", None),
    ("IMPHASH", None),
];

const FALCON_PROCESS_FIELDS: &[(&str, &[&str])] = &[
    ("Image", &["ImageFileName"]),
    ("ParentImage", &["ParentBaseFileName"]),
    ("User", &["UserName"]),
    ("ProcessId", &["RawProcessId"]),
    ("sha256", &["SHA256HashData"]),
    ("md5", &["MD5HashData"]),
    ("Computer", &["ComputerName"]),
    ("OriginalFileName", &["OriginalFilename"]),
];

const WINDOWS_FILE_NAME: ValueMap = ValueMap::FileName { separator: '\\' };

/// `event_platform` values per Sigma product.
fn falcon_platform(product: Option<&str>) -> Option<&'static str> {
    match product {
        None | Some("windows") => Some("Win"),
        Some("linux") => Some("Lin"),
        Some("macos") => Some("Mac"),
        Some(_) => None,
    }
}

fn falcon(ls: &Logsource) -> Option<Vec<Variant>> {
    let platform = falcon_platform(ls.product.as_deref())?;
    let category = ls.category.as_deref()?;
    let v = |types: &'static [&'static str],
             fields: &[(&'static str, &'static [&'static str])],
             values: &[(&'static str, ValueMap)],
             same_names: &'static [&'static str]| {
        let mut v = Variant::new(
            Route {
                selectors: vec![
                    ("event_platform".to_owned(), vec![platform.to_owned()]),
                    (
                        "#event_simpleName".to_owned(),
                        types.iter().map(|t| (*t).to_owned()).collect(),
                    ),
                ],
            },
            "falcon",
        );
        v.fields = fields.to_vec();
        v.values = values.to_vec();
        v.same_names = same_names;
        Some(vec![v])
    };
    if platform != "Win" {
        // Linux and macOS: process events only, POSIX paths.
        return match category {
            "process_creation" => v(
                &["ProcessRollup2", "SyntheticProcessRollup2"],
                FALCON_PROCESS_FIELDS,
                &[("ParentImage", ValueMap::FileName { separator: '/' })],
                &["CommandLine"],
            ),
            _ => None,
        };
    }
    match category {
        "process_creation" => v(
            &["ProcessRollup2", "SyntheticProcessRollup2"],
            FALCON_PROCESS_FIELDS,
            &[
                ("Image", ValueMap::DevicePath),
                ("ParentImage", WINDOWS_FILE_NAME),
                ("IntegrityLevel", ValueMap::Names(&INTEGRITY_LEVELS)),
                ("Hashes", ValueMap::Hashes(FALCON_HASHES)),
            ],
            &["CommandLine", "IntegrityLevel"],
        ),
        "network_connection" => v(
            &[
                "NetworkConnectIP4",
                "NetworkConnectIP6",
                "NetworkReceiveAcceptIP4",
                "NetworkReceiveAcceptIP6",
            ],
            &[
                ("DestinationIp", &["RemoteAddressIP4", "RemoteAddressIP6"]),
                ("DestinationPort", &["RemotePort"]),
                ("SourcePort", &["LocalPort"]),
                ("Image", &["ContextBaseFileName"]),
                ("Initiated", &["#event_simpleName"]),
            ],
            &[
                ("Image", WINDOWS_FILE_NAME),
                ("Initiated", ValueMap::Names(&FALCON_CONNECTION_DIRECTION)),
                (
                    "DestinationIp",
                    ValueMap::IpFamily {
                        v4: "RemoteAddressIP4",
                        v6: "RemoteAddressIP6",
                    },
                ),
            ],
            &[],
        ),
        "dns_query" => v(
            &["DnsRequest"],
            &[
                ("QueryName", &["DomainName"]),
                ("record_type", &["RequestType"]),
                ("QueryResults", &["IP4Records", "IP6Records"]),
                ("Image", &["ContextBaseFileName"]),
            ],
            &[
                ("Image", WINDOWS_FILE_NAME),
                ("record_type", ValueMap::Names(&DNS_RECORD_TYPES)),
                (
                    "QueryResults",
                    ValueMap::IpFamily {
                        v4: "IP4Records",
                        v6: "IP6Records",
                    },
                ),
            ],
            &[],
        ),
        "image_load" => v(
            &["ClassifiedModuleLoad", "ImageHash"],
            &[
                ("Image", &["TargetImageFileName"]),
                ("ImageLoaded", &["ImageFileName"]),
                ("md5", &["MD5HashData"]),
                ("sha256", &["SHA256HashData"]),
            ],
            &[
                ("Image", ValueMap::DevicePath),
                ("ImageLoaded", ValueMap::DevicePath),
                ("Hashes", ValueMap::Hashes(FALCON_HASHES)),
            ],
            &[],
        ),
        "driver_load" => v(
            &["DriverLoad"],
            &[
                ("ImageLoaded", &["ImageFileName"]),
                ("md5", &["MD5HashData"]),
                ("sha256", &["SHA256HashData"]),
            ],
            &[
                ("ImageLoaded", ValueMap::DevicePath),
                ("Hashes", ValueMap::Hashes(FALCON_HASHES)),
            ],
            &[],
        ),
        // `NewScriptWritten` carries only the script's file name, not its content.
        "ps_script" => v(
            &["ScriptControlScanTelemetry", "CommandHistory"],
            &[("ScriptBlockText", &["ScriptContent", "CommandHistory"])],
            &[],
            &[],
        ),
        "registry_set" | "registry_event" | "registry_add" | "registry_delete" => v(
            &[
                "RegGenericValueUpdate",
                "AsepValueUpdate",
                "RegSystemConfigValueUpdate",
            ],
            &[
                ("TargetObject", &[FALCON_REGISTRY_PATH]),
                ("Details", &["RegStringValue"]),
                ("Image", &["ContextBaseFileName"]),
            ],
            &[("Image", WINDOWS_FILE_NAME)],
            &[],
        ),
        _ => None,
    }
}

fn mde(ls: &Logsource) -> Option<Vec<Variant>> {
    if ls.product.as_deref().is_some_and(|p| p != "windows") {
        return None;
    }
    let v = |table: &'static str, fields: &[(&'static str, &'static [&'static str])]| {
        Some(vec![Variant {
            route: route(&[("category", &[table])]),
            fields: fields.to_vec(),
            label: "mde",
            spaced_names: false,
            values: Vec::new(),
            same_names: &[],
        }])
    };
    const INITIATING: &[(&str, &[&str])] = &[
        ("Image", &["InitiatingProcessFolderPath"]),
        ("CommandLine", &["InitiatingProcessCommandLine"]),
        ("User", &["InitiatingProcessAccountName"]),
        ("ProcessId", &["InitiatingProcessId"]),
    ];
    match ls.category.as_deref()? {
        "process_creation" => v(
            "AdvancedHunting-DeviceProcessEvents",
            &[
                ("Image", &["FolderPath"]),
                ("CommandLine", &["ProcessCommandLine"]),
                ("OriginalFileName", &["ProcessVersionInfoOriginalFileName"]),
                ("Product", &["ProcessVersionInfoProductName"]),
                ("Description", &["ProcessVersionInfoFileDescription"]),
                ("Company", &["ProcessVersionInfoCompanyName"]),
                ("ParentImage", &["InitiatingProcessFolderPath"]),
                ("ParentCommandLine", &["InitiatingProcessCommandLine"]),
                ("User", &["AccountName"]),
                ("ProcessId", &["ProcessId"]),
                ("ParentProcessId", &["InitiatingProcessId"]),
                ("IntegrityLevel", &["ProcessIntegrityLevel"]),
                ("sha1", &["SHA1"]),
                ("sha256", &["SHA256"]),
                ("md5", &["MD5"]),
            ],
        ),
        "registry_set" | "registry_event" | "registry_add" | "registry_delete" => v(
            "AdvancedHunting-DeviceRegistryEvents",
            &[
                ("TargetObject", &["RegistryKey"]),
                ("Details", &["RegistryValueData"]),
                ("Image", &["InitiatingProcessFolderPath"]),
                ("User", &["InitiatingProcessAccountName"]),
            ],
        ),
        "network_connection" => v(
            "AdvancedHunting-DeviceNetworkEvents",
            &[
                ("DestinationIp", &["RemoteIP"]),
                ("DestinationPort", &["RemotePort"]),
                ("DestinationHostname", &["RemoteUrl"]),
                ("SourceIp", &["LocalIP"]),
                ("SourcePort", &["LocalPort"]),
                ("Image", &["InitiatingProcessFolderPath"]),
                ("CommandLine", &["InitiatingProcessCommandLine"]),
            ],
        ),
        "file_event" => v(
            "AdvancedHunting-DeviceFileEvents",
            &[
                ("TargetFilename", &["FolderPath"]),
                ("Image", &["InitiatingProcessFolderPath"]),
            ],
        ),
        "image_load" => v(
            "AdvancedHunting-DeviceImageLoadEvents",
            &[
                ("ImageLoaded", &["FolderPath"] as &[&str]),
                INITIATING[0],
                INITIATING[1],
                INITIATING[2],
                INITIATING[3],
            ],
        ),
        _ => None,
    }
}

fn ecs(ls: &Logsource) -> Option<Vec<Variant>> {
    if ls.product.as_deref().is_some_and(|p| p != "windows") {
        return None;
    }
    let v = |cat: &'static [&'static str], fields: &[(&'static str, &'static [&'static str])]| {
        Some(vec![Variant {
            route: route(&[("event.category", cat)]),
            fields: fields.to_vec(),
            label: "ecs",
            spaced_names: false,
            values: Vec::new(),
            same_names: &[],
        }])
    };
    match ls.category.as_deref()? {
        "process_creation" => v(
            &["process"],
            &[
                ("Image", &["process.executable"]),
                ("CommandLine", &["process.command_line"]),
                ("OriginalFileName", &["process.pe.original_file_name"]),
                ("ParentImage", &["process.parent.executable"]),
                ("ParentCommandLine", &["process.parent.command_line"]),
                ("User", &["user.name"]),
                ("ProcessId", &["process.pid"]),
                ("ParentProcessId", &["process.parent.pid"]),
                ("CurrentDirectory", &["process.working_directory"]),
                ("Computer", &["host.name"]),
            ],
        ),
        "network_connection" => v(
            &["network"],
            &[
                ("DestinationIp", &["destination.ip"]),
                ("DestinationPort", &["destination.port"]),
                ("DestinationHostname", &["destination.domain"]),
                ("SourceIp", &["source.ip"]),
                ("SourcePort", &["source.port"]),
                ("Image", &["process.executable"]),
            ],
        ),
        "file_event" => v(
            &["file"],
            &[
                ("TargetFilename", &["file.path"]),
                ("Image", &["process.executable"]),
            ],
        ),
        "registry_set" | "registry_event" | "registry_add" | "registry_delete" => v(
            &["registry"],
            &[
                ("TargetObject", &["registry.path"]),
                ("Details", &["registry.data.strings"]),
                ("Image", &["process.executable"]),
            ],
        ),
        "dns_query" => v(
            &["network"],
            &[
                ("QueryName", &["dns.question.name"]),
                ("Image", &["process.executable"]),
            ],
        ),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ls(product: &str, category: &str, service: &str) -> Logsource {
        let o = |s: &str| (!s.is_empty()).then(|| s.to_owned());
        Logsource {
            product: o(product),
            category: o(category),
            service: o(service),
        }
    }

    #[test]
    fn process_creation_runs_on_sysmon_1_and_security_4688() {
        let v = Target::Windows
            .variants(&ls("windows", "process_creation", ""))
            .unwrap();
        assert_eq!(v.len(), 2);
        assert_eq!(
            v[0].route.selectors[1],
            ("EventID".into(), vec!["1".into()])
        );
        assert_eq!(v[1].route.selectors[0].1, vec!["Security".to_owned()]);
        assert!(v[1].fields.iter().any(|(f, _)| *f == "Image"));
    }

    #[test]
    fn services_route_by_channel() {
        let v = Target::Windows
            .variants(&ls("windows", "", "security"))
            .unwrap();
        assert_eq!(
            v[0].route.selectors,
            vec![("Channel".into(), vec!["Security".into()])]
        );
        assert!(
            Target::Windows
                .variants(&ls("linux", "process_creation", ""))
                .is_none()
        );
        assert!(
            Target::Windows
                .variants(&ls("windows", "", "nonsense"))
                .is_none()
        );
    }

    #[test]
    fn defender_names_with_spaces() {
        assert_eq!(spaced("SourceName"), "Source Name");
        assert_eq!(spaced("FWLink"), "FW Link");
        assert_eq!(spaced("Image"), "Image");
        let v = Target::Windows
            .variants(&ls("windows", "", "windefend"))
            .unwrap();
        assert!(v[0].spaced_names);
    }

    #[test]
    fn falcon_routes_by_event_simple_name() {
        let v = Target::Falcon
            .variants(&ls("windows", "process_creation", ""))
            .unwrap();
        assert_eq!(
            v[0].route.selectors[0],
            ("event_platform".to_owned(), vec!["Win".to_owned()])
        );
        assert_eq!(v[0].route.selectors[1].0, "#event_simpleName");
        assert!(
            v[0].route.selectors[1]
                .1
                .contains(&"ProcessRollup2".to_owned())
        );
        assert!(v[0].target_fields().contains(&"CommandLine"));
        assert!(!v[0].target_fields().contains(&"CurrentDirectory"));
        assert!(
            Target::Falcon
                .variants(&ls("linux", "dns_query", ""))
                .is_none()
        );
    }
}

#[cfg(test)]
mod name_tables {
    use super::*;

    #[test]
    fn names_numbers_and_sids_map_to_codes() {
        assert_eq!(INTEGRITY_LEVELS.lookup("high"), Some(vec!["12288".into()]));
        assert_eq!(
            INTEGRITY_LEVELS.lookup("s-1-16-8192"),
            Some(vec!["8192".into()])
        );
        assert_eq!(INTEGRITY_LEVELS.lookup("4096"), Some(vec!["4096".into()]));
        assert_eq!(INTEGRITY_LEVELS.lookup("S-1-16-"), None);
        assert_eq!(INTEGRITY_LEVELS.lookup("AppContainer"), None);
        assert_eq!(DNS_RECORD_TYPES.lookup("any"), Some(vec!["255".into()]));
        assert_eq!(FALCON_CONNECTION_DIRECTION.lookup("1"), None);
    }
}
