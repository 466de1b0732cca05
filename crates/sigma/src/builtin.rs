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
        }];
        if cat == "process_creation" {
            variants.push(Variant {
                route: route(&[("Channel", &["Security"]), ("EventID", &["4688"])]),
                fields: SECURITY_4688_FIELDS.to_vec(),
                label: "security-4688",
                spaced_names: false,
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
    }])
}

const FALCON_PROCESS_FIELDS: &[(&str, &[&str])] = &[
    ("Image", &["ImageFileName"]),
    ("ParentImage", &["ParentBaseFileName"]),
    ("User", &["UserName"]),
    ("ProcessId", &["RawProcessId"]),
    ("sha256", &["SHA256HashData"]),
    ("md5", &["MD5HashData"]),
    ("sha1", &["SHA1HashData"]),
    ("Computer", &["ComputerName"]),
    ("OriginalFileName", &["OriginalFilename"]),
];

fn falcon(ls: &Logsource) -> Option<Vec<Variant>> {
    if ls.product.as_deref().is_some_and(|p| p != "windows") {
        return None;
    }
    let name = "#event_simpleName";
    let v = |types: &'static [&'static str], fields: &[(&'static str, &'static [&'static str])]| {
        Some(vec![Variant {
            route: route(&[(name, types)]),
            fields: fields.to_vec(),
            label: "falcon",
            spaced_names: false,
        }])
    };
    match ls.category.as_deref()? {
        "process_creation" => v(
            &["ProcessRollup2", "SyntheticProcessRollup2"],
            FALCON_PROCESS_FIELDS,
        ),
        "network_connection" => v(
            &["NetworkConnectIP4", "NetworkConnectIP6"],
            &[
                ("DestinationIp", &["RemoteAddressIP4", "RemoteAddressIP6"]),
                ("DestinationPort", &["RemotePort"]),
                ("SourcePort", &["LocalPort"]),
                ("Image", &["ContextBaseFileName"]),
            ],
        ),
        "dns_query" => v(
            &["DnsRequest"],
            &[
                ("QueryName", &["DomainName"]),
                ("record_type", &["RequestType"]),
                ("QueryResults", &["IP4Records", "IP6Records"]),
                ("Image", &["ContextBaseFileName"]),
            ],
        ),
        "image_load" => v(
            &["ClassifiedModuleLoad", "ImageHash"],
            &[
                ("Image", &["TargetImageFileName"]),
                ("ImageLoaded", &["ImageFileName"]),
            ],
        ),
        "driver_load" => v(&["DriverLoad"], &[("ImageLoaded", &["ImageFileName"])]),
        "ps_script" => v(
            &[
                "ScriptControlScanTelemetry",
                "CommandHistory",
                "NewScriptWritten",
            ],
            &[("ScriptBlockText", &["ScriptContent", "CommandHistory"])],
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
        assert_eq!(v[0].route.selectors[0].0, "#event_simpleName");
        assert!(
            v[0].route.selectors[0]
                .1
                .contains(&"ProcessRollup2".to_owned())
        );
    }
}
