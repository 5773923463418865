//! The documented deployments keep to the rule (docs/threat-model.md):
//! agents get only the CA certificate, never scopegate's data folder or
//! secrets, and cannot reach the dashboard. Checked on the files as
//! shipped: compose (sidecar), Kubernetes (shared service, and an agent
//! with its own scopegate in deploy/k8s), systemd and the Dockerfile. YAML
//! is read with python3's `yaml.safe_load_all`; scripts/k8s-validate checks
//! the Kubernetes files against the API's schemas.
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
    // published: the dashboard, on the host's loopback only (the host
    // port may be chosen with SCOPEGATE_DASHBOARD_PORT, 9091 by default)
    assert_eq!(
        strs(&sg["ports"]),
        [format!(
            "127.0.0.1:${{SCOPEGATE_DASHBOARD_PORT:-{0}}}:{0}",
            dash.port()
        )]
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

/// The `kind` document called `name`.
fn named<'a>(docs: &'a [Value], kind: &str, name: &str) -> &'a Value {
    kinds(docs, kind)
        .into_iter()
        .find(|d| d["metadata"]["name"] == name)
        .unwrap_or_else(|| panic!("no {kind} {name}"))
}

/// A Deployment's pod spec.
fn pod(deployment: &Value) -> &Value {
    &deployment["spec"]["template"]["spec"]
}

fn containers(pod: &Value) -> Vec<&Value> {
    ["containers", "initContainers"]
        .iter()
        .filter_map(|k| pod[*k].as_array())
        .flatten()
        .collect()
}

/// Every Secret a pod can read: as a volume (also projected) or as
/// environment variables.
fn secrets(pod: &Value) -> std::collections::BTreeSet<String> {
    let mut names = Vec::new();
    for v in pod["volumes"].as_array().into_iter().flatten() {
        names.push(&v["secret"]["secretName"]);
        for src in v["projected"]["sources"].as_array().into_iter().flatten() {
            names.push(&src["secret"]["name"]);
        }
    }
    for c in containers(pod) {
        for e in c["env"].as_array().into_iter().flatten() {
            names.push(&e["valueFrom"]["secretKeyRef"]["name"]);
        }
        for e in c["envFrom"].as_array().into_iter().flatten() {
            names.push(&e["secretRef"]["name"]);
        }
    }
    names
        .into_iter()
        .filter_map(|n| n.as_str().map(str::to_owned))
        .collect()
}

/// The `mountPath` at which `pod`'s only container mounts volume `volume`.
fn mount_path<'a>(pod: &'a Value, volume: &str) -> &'a str {
    pod["containers"][0]["volumeMounts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["name"] == volume)
        .and_then(|m| m["mountPath"].as_str())
        .unwrap_or_else(|| panic!("{volume} is not mounted"))
}

/// The pod labels of a Deployment.
fn labels(deployment: &Value) -> &Value {
    &deployment["spec"]["template"]["metadata"]["labels"]
}

/// The sidecar example: its two Deployments (scopegate's, the agent's)
/// and scopegate's settings.
fn sidecar() -> Option<(Vec<Value>, Config)> {
    let docs = yaml(&deploy("k8s/sidecar.yaml"))?;
    let cm = named(&docs, "ConfigMap", "scopegate-config");
    let s = settings(cm["data"]["scopegate.toml"].as_str().unwrap());
    Some((docs, s))
}

#[test]
fn k8s_sidecar_gives_the_agent_only_the_certificates_secret() {
    let Some((docs, s)) = sidecar() else {
        return;
    };
    let sg = pod(named(&docs, "Deployment", "scopegate"));
    let agent = pod(named(&docs, "Deployment", "agent"));

    // the agent's one volume: the certificate's Secret, its ca.pem alone
    let vols = agent["volumes"].as_array().unwrap();
    assert_eq!(vols.len(), 1, "the agent mounts only the certificate");
    let name = &vols[0]["secret"]["secretName"];
    assert_eq!(name, "scopegate-ca-cert", "the certificate's Secret");
    let items = &vols[0]["secret"]["items"];
    assert_eq!(
        items,
        &serde_json::json!([{"key": "ca.pem", "path": "ca.pem"}]),
        "ca.pem alone"
    );
    let at = mount_path(agent, vols[0]["name"].as_str().unwrap());
    let env = agent["containers"][0]["env"].as_array().unwrap();
    for var in [
        "SSL_CERT_FILE",
        "NODE_EXTRA_CA_CERTS",
        "REQUESTS_CA_BUNDLE",
        "CURL_CA_BUNDLE",
    ] {
        let e = env.iter().find(|e| e["name"] == var);
        let e = e.unwrap_or_else(|| panic!("the agent has no {var}"));
        assert_eq!(e["value"], format!("{at}/ca.pem"), "{var}");
    }

    // of scopegate's Secrets, the agent can read the certificate's only
    let (sg_secrets, agent_secrets) = (secrets(sg), secrets(agent));
    let shared: Vec<_> = sg_secrets.intersection(&agent_secrets).collect();
    assert_eq!(
        shared,
        ["scopegate-ca-cert"],
        "the agent reads {agent_secrets:?}"
    );

    // [ca] key is in the folder scopegate builds from scopegate-ca-key
    let (_, key) = s.ca.files.clone().expect("[ca] cert and key");
    let ca =
        sg["volumes"].as_array().unwrap().iter().find(|v| {
            Path::new(mount_path(sg, v["name"].as_str().unwrap())) == key.parent().unwrap()
        });
    let from_key_secret = |src: &Value| {
        src["secret"]["name"] == "scopegate-ca-key"
            && src["secret"]["items"][0]["path"] == key.file_name().unwrap().to_str().unwrap()
    };
    let sources = &ca.expect("the CA key's folder is a volume")["projected"]["sources"];
    assert!(
        sources.as_array().unwrap().iter().any(from_key_secret),
        "{sources}"
    );
}

#[test]
fn k8s_sidecar_runs_the_agent_as_another_user_without_scopegates_data() {
    let Some((docs, s)) = sidecar() else {
        return;
    };
    let sg = pod(named(&docs, "Deployment", "scopegate"));
    let agent = pod(named(&docs, "Deployment", "agent"));
    // data_dir is on scopegate's own volume, which the agent does not mount
    let data = mount_path(sg, "data");
    assert!(s.data_dir.starts_with(data), "{}", s.data_dir.display());
    // (its volumes hold Secrets or ConfigMaps: no storage of any kind)
    for v in agent["volumes"].as_array().unwrap() {
        assert!(
            v["secret"].is_object() || v["configMap"].is_object(),
            "the agent mounts {v}"
        );
    }
    let uid = |p: &Value| p["securityContext"]["runAsUser"].as_u64().unwrap();
    assert_eq!(uid(sg), 10100, "the image's scopegate user");
    assert_ne!(
        uid(agent),
        uid(sg),
        "the agent never runs as scopegate's user"
    );
    for p in [sg, agent] {
        assert_eq!(p["securityContext"]["runAsNonRoot"], true, "runAsNonRoot");
        let token = &p["automountServiceAccountToken"];
        assert_eq!(
            token, false,
            "no ServiceAccount token: neither pod talks to the API"
        );
        for c in containers(p) {
            let sc = &c["securityContext"];
            assert_eq!(
                sc["capabilities"]["drop"],
                serde_json::json!(["ALL"]),
                "{sc}"
            );
            assert_eq!(sc["allowPrivilegeEscalation"], false, "{sc}");
        }
    }
    let c = &sg["containers"][0]["securityContext"];
    assert_eq!(
        c["readOnlyRootFilesystem"], true,
        "scopegate writes only its volumes"
    );
}

/// Whether a podSelector selects pods labelled `labels`.
fn selects(selector: &Value, labels: &Value) -> bool {
    assert!(selector["matchExpressions"].is_null(), "{selector}");
    let want = selector["matchLabels"].as_object();
    want.into_iter().flatten().all(|(k, v)| &labels[k] == v)
}

fn rule_ports(rule: &Value) -> Vec<u64> {
    let ports = rule["ports"].as_array().into_iter().flatten();
    ports.map(|p| p["port"].as_u64().unwrap()).collect()
}

/// The rules of every NetworkPolicy that selects pods labelled `labels`
/// and limits their `dir` ("Ingress" or "Egress"): policies add up.
fn rules<'a>(docs: &'a [Value], labels: &Value, dir: &str) -> Option<Vec<&'a Value>> {
    let key = dir.to_lowercase();
    let limiting: Vec<&Value> = kinds(docs, "NetworkPolicy")
        .into_iter()
        .filter(|p| selects(&p["spec"]["podSelector"], labels))
        .filter(|p| match &p["spec"]["policyTypes"] {
            Value::Null => dir == "Ingress" || !p["spec"][&key].is_null(),
            types => strs(types).iter().any(|t| t == dir),
        })
        .collect();
    let all = limiting
        .iter()
        .copied()
        .flat_map(|p: &'a Value| p["spec"][&key].as_array().into_iter().flatten());
    (!limiting.is_empty()).then(|| all.collect())
}

/// The sidecar's two Deployments and scopegate's proxy port.
fn pair<'a>(docs: &'a [Value], s: &Config) -> (&'a Value, &'a Value, u64) {
    let sg = named(docs, "Deployment", "scopegate");
    let agent = named(docs, "Deployment", "agent");
    (sg, agent, u64::from(s.proxy.listen.port()))
}

#[test]
fn k8s_sidecar_network_policy_lets_the_agent_reach_only_the_proxy_port_and_dns() {
    let Some((docs, s)) = sidecar() else {
        return;
    };
    let (sg, agent, proxy) = pair(&docs, &s);
    let only_sg = |p: &Value| {
        p["namespaceSelector"].is_null()
            && p["ipBlock"].is_null()
            && p["podSelector"].is_object()
            && selects(&p["podSelector"], labels(sg))
            && !selects(&p["podSelector"], labels(agent))
    };
    let only_dns = |p: &Value| {
        p["ipBlock"].is_null() && p["podSelector"]["matchLabels"]["k8s-app"] == "kube-dns"
    };
    let egress = rules(&docs, labels(agent), "Egress").expect("a policy on the agent's egress");
    let mut to_proxy = false;
    for rule in egress {
        let peers = rule["to"].as_array().filter(|t| !t.is_empty());
        let peers = peers.unwrap_or_else(|| panic!("a rule to anywhere: {rule}"));
        let ports = rule_ports(rule);
        assert!(!ports.is_empty(), "a rule on every port: {rule}");
        if ports == [proxy] && peers.iter().all(only_sg) {
            to_proxy = true;
        } else {
            assert!(ports.iter().all(|p| *p == 53), "the agent reaches {rule}");
            assert!(
                peers.iter().all(only_dns),
                "DNS beyond the cluster's: {rule}"
            );
        }
    }
    assert!(to_proxy, "the agent cannot reach scopegate's proxy port");
}

#[test]
fn k8s_sidecar_points_the_agents_https_proxy_at_scopegates_proxy_port() {
    let Some((docs, s)) = sidecar() else {
        return;
    };
    let (sg, agent, proxy) = pair(&docs, &s);
    let svc = named(&docs, "Service", "scopegate-proxy");
    assert!(selects(
        &serde_json::json!({"matchLabels": svc["spec"]["selector"]}),
        labels(sg)
    ));
    let port = &svc["spec"]["ports"][0];
    let target = &pod(sg)["containers"][0]["ports"];
    let target = target
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == port["targetPort"]);
    let target = target.unwrap_or_else(|| panic!("no container port {port}"));
    assert_eq!(
        target["containerPort"], proxy,
        "the Service's port is the proxy's"
    );
    let env = pod(agent)["containers"][0]["env"].as_array().unwrap();
    let want = format!("http://scopegate-proxy:{}", port["port"]);
    for var in ["HTTPS_PROXY", "HTTP_PROXY"] {
        let e = env.iter().find(|e| e["name"] == var);
        let e = e.unwrap_or_else(|| panic!("the agent has no {var}"));
        assert_eq!(e["value"], want, "{var} is the proxy's Service");
    }
}

#[test]
fn k8s_sidecar_admits_the_agent_on_the_proxy_port_and_approvers_on_the_dashboard() {
    let Some((docs, s)) = sidecar() else {
        return;
    };
    let (sg, agent, proxy) = pair(&docs, &s);
    let dash = u64::from(dashboard_listen(&s).port());
    let ingress = rules(&docs, labels(sg), "Ingress").expect("a policy on scopegate's ingress");
    let approvers =
        |p: &Value| p["namespaceSelector"]["matchLabels"]["scopegate.dev/approvers"] == "true";
    // Any peer that can take in the agent: an ipBlock, a selector that
    // matches its labels, in any namespace but the approvers' (the agent's
    // is not one).
    let agent_peer = |p: &Value| !approvers(p) && selects(&p["podSelector"], labels(agent));
    let mut agent_in = false;
    for rule in ingress {
        let peers = rule["from"].as_array().filter(|f| !f.is_empty());
        let peers = peers.unwrap_or_else(|| panic!("a rule from anywhere: {rule}"));
        if peers.iter().any(agent_peer) {
            assert_eq!(rule_ports(rule), [proxy], "the agent reaches {rule}");
            agent_in = true;
        }
        if rule_ports(rule).contains(&dash) {
            assert!(peers.iter().all(approvers), "the dashboard admits {rule}");
        }
    }
    assert!(agent_in, "scopegate does not admit the agent");
}
