//! The documented deployments keep to the rule (docs/threat-model.md):
//! agents get only the CA certificate, never scopegate's data folder or
//! secrets, and cannot reach the dashboard. Checked on the files as
//! shipped: compose (sidecar), Kubernetes (shared service), systemd and the
//! Dockerfile. YAML is read with python3's `yaml.safe_load_all`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;

use scopegate_cli::config::Config;
use serde_json::Value;

fn deploy(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../deploy")
        .join(name)
}

/// Every YAML document in `file`, as JSON; `None` (after saying why) when
/// python3 with PyYAML is missing and CI is not set.
fn yaml(file: &Path) -> Option<Vec<Value>> {
    let out = Command::new("python3")
        .args([
            "-c",
            "import json, sys, yaml; print(json.dumps(list(yaml.safe_load_all(open(sys.argv[1])))))",
        ])
        .arg(file)
        .output();
    match out {
        Ok(o) if o.status.success() => Some(serde_json::from_slice(&o.stdout).unwrap()),
        Ok(o) if String::from_utf8_lossy(&o.stderr).contains("No module named 'yaml'") => {
            skip("python3 has no PyYAML (apt-get install python3-yaml)")
        }
        Ok(o) => panic!(
            "{} does not parse: {}",
            file.display(),
            String::from_utf8_lossy(&o.stderr)
        ),
        Err(e) => skip(&format!("python3 cannot run: {e}")),
    }
}

fn skip<T>(why: &str) -> Option<T> {
    assert!(
        std::env::var_os("CI").is_none(),
        "CI is set but the deploy files cannot be checked: {why}"
    );
    eprintln!("skipped: {why}");
    None
}

fn strs(v: &Value) -> Vec<String> {
    match v {
        Value::Array(a) => a.iter().map(|x| x.as_str().unwrap().to_owned()).collect(),
        Value::Object(o) => o.keys().cloned().collect(),
        _ => Vec::new(),
    }
}

/// `(source, target, read_only)` of a compose short-syntax volume; the
/// source may be a `${VAR:-default}`.
fn mount(spec: &str) -> (String, String, bool) {
    let (source, rest) = match spec.strip_prefix("${") {
        Some(v) => {
            let end = v.find('}').expect("a closed ${...}");
            (&spec[..end + 3], &v[end + 2..])
        }
        None => spec.split_once(':').expect("source:target"),
    };
    let parts: Vec<&str> = rest.split(':').collect();
    (
        source.to_owned(),
        parts[0].to_owned(),
        parts
            .get(1)
            .is_some_and(|o| o.split(',').any(|x| x == "ro")),
    )
}

fn settings(text: &str) -> Config {
    Config::from_toml(Path::new("/etc/scopegate/scopegate.toml"), text).unwrap()
}

fn dashboard_listen(s: &Config) -> SocketAddr {
    s.dashboard.as_ref().expect("a [dashboard] table").listen
}

#[test]
fn compose_gives_the_agent_only_the_certificate_and_no_way_to_the_dashboard() {
    let Some(docs) = yaml(&deploy("compose.yaml")) else {
        return;
    };
    let c = &docs[0];
    let sg = &c["services"]["scopegate"];
    let agent = &c["services"]["agent"];
    let s = settings(&std::fs::read_to_string(deploy("scopegate.toml")).unwrap());

    // volumes: data for scopegate only; the agent mounts ca-public, read-only
    let sg_mounts: Vec<_> = strs(&sg["volumes"]).iter().map(|m| mount(m)).collect();
    let agent_mounts: Vec<_> = strs(&agent["volumes"]).iter().map(|m| mount(m)).collect();
    let target_of = |src: &str| {
        sg_mounts
            .iter()
            .find(|(s, _, _)| s == src)
            .map(|(_, t, _)| PathBuf::from(t))
            .unwrap_or_else(|| panic!("scopegate mounts no {src}"))
    };
    assert_eq!(
        target_of("scopegate-data"),
        s.data_dir,
        "the data volume is data_dir"
    );
    assert_eq!(
        target_of("ca-public"),
        s.ca.export,
        "the shared volume is the export"
    );
    assert_eq!(agent_mounts.len(), 1, "{agent_mounts:?}");
    let (src, at, ro) = &agent_mounts[0];
    assert_eq!((src.as_str(), *ro), ("ca-public", true), "{agent_mounts:?}");
    for (name, svc) in c["services"].as_object().unwrap() {
        if name != "scopegate" {
            for (src, _, _) in strs(&svc["volumes"]).iter().map(|m| mount(m)) {
                assert!(
                    src != "scopegate-data" && !src.contains("scopegate.toml"),
                    "{name} mounts {src}"
                );
            }
        }
    }
    // A provider secret is passed on from the host as it is: an unset one
    // stays unset, never the literal `${VAR:-}` (podman-compose 1.0.3).
    let sg_env = strs(&sg["environment"]);
    assert!(
        sg_env.contains(&"RAILWAY_API_TOKEN".to_owned()),
        "{sg_env:?}"
    );
    assert!(!sg_env.iter().any(|e| e.contains('$')), "{sg_env:?}");
    for var in ["SSL_CERT_FILE", "NODE_EXTRA_CA_CERTS", "REQUESTS_CA_BUNDLE"] {
        assert_eq!(agent["environment"][var], format!("{at}/ca.pem"), "{var}");
    }
    assert_ne!(
        agent["user"],
        Value::Null,
        "the agent runs as a user of its own"
    );

    // networks: the agent only on the internal one; the dashboard and
    // metrics bound to scopegate's address on a network the agent is not on
    let agent_nets = strs(&agent["networks"]);
    assert_eq!(agent_nets, ["agents"]);
    assert_eq!(c["networks"]["agents"]["internal"], true);
    let addr_on = |net: &str| -> std::net::IpAddr {
        sg["networks"][net]["ipv4_address"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap()
    };
    assert_eq!(
        s.proxy.listen.ip(),
        addr_on("agents"),
        "the proxy is on the agents' network"
    );
    let dash = dashboard_listen(&s);
    let admin = s.admin.listen.unwrap();
    for (what, a) in [("dashboard", dash), ("metrics", admin)] {
        let net = strs(&sg["networks"])
            .into_iter()
            .find(|n| addr_on(n) == a.ip())
            .unwrap_or_else(|| panic!("the {what} listens on {a}, not on one network"));
        assert!(
            !agent_nets.contains(&net),
            "the {what} is on the agent's network {net}"
        );
    }
    // published: the dashboard, on the host's loopback only
    assert_eq!(
        strs(&sg["ports"]),
        [format!("127.0.0.1:{0}:{0}", dash.port())]
    );
    assert!(agent["ports"].is_null());
}

/// Every `kind: X` document.
fn kinds<'a>(docs: &'a [Value], kind: &str) -> Vec<&'a Value> {
    docs.iter().filter(|d| d["kind"] == kind).collect()
}

#[test]
fn kubernetes_keeps_the_key_in_scopegates_namespace_and_the_dashboard_from_agents() {
    let Some(docs) = yaml(&deploy("kubernetes.yaml")) else {
        return;
    };
    let deployments = kinds(&docs, "Deployment");
    let by_name = |n: &str| {
        *deployments
            .iter()
            .find(|d| d["metadata"]["name"] == n)
            .unwrap_or_else(|| panic!("no Deployment {n}"))
    };
    let sg = by_name("scopegate");
    let agent = by_name("agent");
    assert_eq!(sg["metadata"]["namespace"], "scopegate");
    assert_eq!(agent["metadata"]["namespace"], "agents");

    // the agent's only volume: the certificate's ConfigMap
    let vols = agent["spec"]["template"]["spec"]["volumes"]
        .as_array()
        .unwrap();
    assert_eq!(vols.len(), 1, "{vols:?}");
    assert_eq!(vols[0]["configMap"]["name"], "scopegate-ca-public");
    let spec = &agent["spec"]["template"]["spec"];
    assert_ne!(
        spec["securityContext"]["runAsUser"],
        sg["spec"]["template"]["spec"]["securityContext"]["runAsUser"],
        "the agent never runs as scopegate's user"
    );
    for c in spec["containers"].as_array().unwrap() {
        assert!(c["envFrom"].is_null(), "no secrets through env");
        for e in c["env"].as_array().unwrap() {
            assert!(e["valueFrom"].is_null(), "{e}");
        }
    }
    // the CA key's Secret is scopegate's alone
    let sg_vols = sg["spec"]["template"]["spec"]["volumes"]
        .as_array()
        .unwrap();
    assert!(
        sg_vols
            .iter()
            .any(|v| v["secret"]["secretName"] == "scopegate-ca")
    );

    // the settings in the ConfigMap parse; the session key is not a file
    let cm = kinds(&docs, "ConfigMap")
        .into_iter()
        .find(|d| d["metadata"]["name"] == "scopegate-config")
        .unwrap();
    let s = settings(cm["data"]["scopegate.toml"].as_str().unwrap());
    let dash = dashboard_listen(&s);
    assert_eq!(
        s.ca.files.as_ref().unwrap().1,
        Path::new("/etc/scopegate/ca/ca-key.pem")
    );

    // NetworkPolicy: the agents' namespace reaches the proxy port only;
    // the dashboard port is admitted only from approvers
    let policies = kinds(&docs, "NetworkPolicy");
    let ingress = policies
        .iter()
        .find(|p| p["metadata"]["namespace"] == "scopegate")
        .unwrap();
    assert_eq!(
        ingress["spec"]["podSelector"]["matchLabels"]["app"],
        "scopegate"
    );
    for rule in ingress["spec"]["ingress"].as_array().unwrap() {
        let from_agents = rule["from"].as_array().unwrap().iter().any(|f| {
            f["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"] == "agents"
        });
        let ports: Vec<u64> = rule["ports"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["port"].as_u64().unwrap())
            .collect();
        if from_agents {
            assert_eq!(
                ports,
                [u64::from(s.proxy.listen.port())],
                "agents reach only the proxy"
            );
        }
        if ports.contains(&u64::from(dash.port())) {
            assert!(!from_agents);
            assert_eq!(
                rule["from"][0]["namespaceSelector"]["matchLabels"]["scopegate.dev/approvers"],
                "true"
            );
        }
    }
    let egress = policies
        .iter()
        .find(|p| p["metadata"]["namespace"] == "agents")
        .unwrap();
    let ports: Vec<u64> = egress["spec"]["egress"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|r| {
            r["ports"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| p["port"].as_u64().unwrap())
        })
        .collect();
    assert!(!ports.contains(&u64::from(dash.port())), "{ports:?}");
}

#[test]
fn systemd_and_the_image_keep_the_data_folder_private() {
    let unit = std::fs::read_to_string(deploy("scopegate.service")).unwrap();
    let lines: Vec<&str> = unit.lines().map(str::trim).collect();
    for want in [
        "User=scopegate",
        "StateDirectory=scopegate/data scopegate/ca-public",
        "StateDirectoryMode=0700",
        "UMask=0077",
    ] {
        assert!(lines.contains(&want), "scopegate.service lacks {want}");
    }
    let s = settings(&std::fs::read_to_string(deploy("scopegate.toml")).unwrap());
    assert_eq!(s.data_dir, Path::new("/var/lib/scopegate/data"));
    assert_eq!(s.ca.export, Path::new("/var/lib/scopegate/ca-public"));
    let docker = std::fs::read_to_string(deploy("Dockerfile")).unwrap();
    assert!(
        docker.contains("-m 0700 /var/lib/scopegate/data"),
        "Dockerfile"
    );
    assert!(
        docker.contains("-m 0755 /var/lib/scopegate/ca-public"),
        "Dockerfile"
    );
}

/// The image runs as a fixed uid, checks its own health, starts with
/// settings of its own, and is built from a context without build output,
/// history or local data (scripts/container-test builds and runs it).
#[test]
fn the_image_has_a_fixed_uid_a_healthcheck_and_a_lean_context() {
    let docker = std::fs::read_to_string(deploy("Dockerfile")).unwrap();
    for want in [
        "--uid 10100",
        "--gid 10100",
        "USER 10100:10100",
        "HEALTHCHECK",
        r#"CMD ["scopegate", "healthcheck"]"#,
        "COPY deploy/image.toml /etc/scopegate/scopegate.toml",
        "RUN cargo build --release --locked --bin scopegate",
    ] {
        assert!(docker.contains(want), "Dockerfile lacks {want}");
    }
    let image = settings(&std::fs::read_to_string(deploy("image.toml")).unwrap());
    assert_eq!(image.data_dir, Path::new("/var/lib/scopegate/data"));
    assert_eq!(image.ca.export, Path::new("/var/lib/scopegate/ca-public"));
    assert!(
        image.admin.listen.is_some(),
        "the healthcheck needs [admin]"
    );
    let ignore = std::fs::read_to_string(deploy("../.dockerignore")).unwrap();
    let ignored: Vec<&str> = ignore.lines().map(str::trim).collect();
    for want in [".git", "target", "data", "ca-public"] {
        assert!(ignored.contains(&want), ".dockerignore lacks {want}");
    }
}
