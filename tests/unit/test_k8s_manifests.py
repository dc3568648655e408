"""deploy/k8s: valid for the Kubernetes API (its schema, offline) and safe to run, with the commands of `bot run`."""

from __future__ import annotations

import base64
import copy
import importlib.util
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import kubernetes_validate
import pytest
import yaml

from bot.channels import webchat
from bot.config import Settings
from bot.gateway.app import create_app
from bot.local.stack import actions_args, gateway_args, rasa_args, redis_args
from tests.paths import ROOT

K8S = ROOT / "deploy" / "k8s"
# The newest schema kubernetes-validate 1.28.3 ships (the last release for Rasa's jsonschema 4.17, requirements.txt).
KUBERNETES = "1.28.0"
MODEL = "/app/models/passerelle.tar.gz"
# Kinds without a namespace, which kustomize's `namespace:` leaves alone.
CLUSTER_SCOPED = {"Namespace", "PersistentVolume", "StorageClass", "ClusterRole", "ClusterRoleBinding"}
SECRET_NAME = re.compile(r"TOKEN|SECRET")


def read_env_file(path: Path) -> dict[str, str]:
    """A kustomize env file: KEY=VALUE lines; blank lines and # comments skipped."""
    pairs: dict[str, str] = {}
    for line in path.read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            key, _, value = line.partition("=")
            pairs[key.strip()] = value
    return pairs


def render(folder: Path = K8S, env_files: dict[str, Path] | None = None) -> list[dict[str, Any]]:
    """What ``kubectl kustomize folder`` makes of the kustomization, for the fields it uses.

    Generated ConfigMaps and Secrets keep their plain names (kustomize adds a hash of the content and rewrites the
    references); ``env_files`` replaces env files by name (the secrets.env nobody commits).
    """
    kustomization = yaml.safe_load((folder / "kustomization.yaml").read_text())
    applied = {"apiVersion", "kind", "namespace", "resources", "configMapGenerator", "secretGenerator", "images"}
    unknown = set(kustomization) - applied
    assert not unknown, f"render() does not apply {sorted(unknown)}: teach it, so the test sees what kustomize does"
    objects: list[dict[str, Any]] = []
    for resource in kustomization["resources"]:
        objects += [doc for doc in yaml.safe_load_all((folder / resource).read_text()) if doc]
    for kind, key in (("ConfigMap", "configMapGenerator"), ("Secret", "secretGenerator")):
        for generator in kustomization.get(key, []):
            assert set(generator) <= {"name", "envs"}, generator
            data: dict[str, str] = {}
            for name in generator["envs"]:
                data.update(read_env_file((env_files or {}).get(name, folder / name)))
            made: dict[str, Any] = {"apiVersion": "v1", "kind": kind, "metadata": {"name": generator["name"]}}
            if kind == "Secret":
                made["type"] = "Opaque"
                data = {k: base64.b64encode(v.encode()).decode() for k, v in data.items()}
            objects.append({**made, "data": data})
    for obj in objects:
        if "namespace" in kustomization and obj["kind"] not in CLUSTER_SCOPED:
            obj["metadata"]["namespace"] = kustomization["namespace"]
    for image in kustomization.get("images", []):
        for obj in objects:
            for container in containers(obj):
                if container["image"].split(":")[0] == image["name"]:
                    name = image.get("newName", image["name"])
                    container["image"] = f"{name}:{image['newTag']}" if "newTag" in image else name
    return objects


def pod_spec(obj: dict[str, Any]) -> dict[str, Any] | None:
    if obj["kind"] in ("Deployment", "StatefulSet", "DaemonSet", "Job"):
        return dict(obj["spec"]["template"]["spec"])
    return None


def containers(obj: dict[str, Any]) -> list[dict[str, Any]]:
    spec = pod_spec(obj)
    return [*spec.get("initContainers", []), *spec["containers"]] if spec else []


def rendered() -> list[dict[str, Any]]:
    return render(env_files={"secrets.env": K8S / "secrets.env.example"})


OBJECTS = rendered()


def one(kind: str, name: str) -> dict[str, Any]:
    (found,) = [o for o in OBJECTS if o["kind"] == kind and o["metadata"]["name"] == name]
    return found


def container(kind: str, name: str) -> dict[str, Any]:
    (only,) = containers(one(kind, name))
    return only


def workloads() -> Iterator[dict[str, Any]]:
    return (o for o in OBJECTS if pod_spec(o) is not None)


def env_example_names() -> set[str]:
    return set(re.findall(r"^([A-Z][A-Z0-9_]*)=", (ROOT / ".env.example").read_text(), re.M))


def validate(obj: dict[str, Any]) -> None:
    """Raises unless ``obj`` is valid for the Kubernetes API; strict: an unknown (misspelt) field is an error."""
    kubernetes_validate.validate(obj, KUBERNETES, strict=True)


@pytest.mark.parametrize("obj", OBJECTS, ids=lambda o: f"{o['kind']}/{o['metadata']['name']}")
def test_every_object_is_valid_for_the_kubernetes_api(obj: dict[str, Any]) -> None:
    validate(obj)


def _port_as_text(o: dict[str, Any]) -> None:
    o["spec"]["template"]["spec"]["containers"][0]["ports"][0]["containerPort"] = "5005"


def _misspelt_probe(o: dict[str, Any]) -> None:
    c = o["spec"]["template"]["spec"]["containers"][0]
    c["readynessProbe"] = c.pop("readinessProbe")


def _unnamed_container(o: dict[str, Any]) -> None:
    del o["spec"]["template"]["spec"]["containers"][0]["name"]


def _memory_as_list(o: dict[str, Any]) -> None:
    o["spec"]["template"]["spec"]["containers"][0]["resources"]["requests"]["memory"] = ["800Mi"]


@pytest.mark.parametrize("breaks", [_port_as_text, _misspelt_probe, _unnamed_container, _memory_as_list])
def test_the_validator_rejects_a_broken_deployment(breaks: Callable[[dict[str, Any]], None]) -> None:
    broken = copy.deepcopy(one("Deployment", "rasa"))
    breaks(broken)
    with pytest.raises(kubernetes_validate.ValidationError):
        validate(broken)


def test_the_validator_rejects_an_autoscaler_of_the_wrong_api_version() -> None:
    broken = copy.deepcopy(one("HorizontalPodAutoscaler", "rasa"))
    broken["spec"]["targetCPUUtilizationPercentage"] = 70  # autoscaling/v1's field, not v2's
    with pytest.raises(kubernetes_validate.ValidationError):
        validate(broken)


def test_the_kustomization_applies_every_manifest_of_the_folder() -> None:
    listed = yaml.safe_load((K8S / "kustomization.yaml").read_text())["resources"]
    on_disk = {p.name for p in K8S.glob("*.yaml")} - {"kustomization.yaml"}
    assert sorted(listed) == sorted(on_disk)
    assert {w["metadata"]["name"] for w in workloads()} == {"redis", "actions", "rasa", "gateway"}


def test_every_container_has_probes_and_resources() -> None:
    for workload in workloads():
        for c in containers(workload):
            name = f"{workload['kind']}/{workload['metadata']['name']}"
            assert "readinessProbe" in c and "livenessProbe" in c, name
            requests, limits = c["resources"]["requests"], c["resources"]["limits"]
            assert {"cpu", "memory"} <= set(requests) and "memory" in limits, name
            assert mebibytes(limits["memory"]) > mebibytes(requests["memory"]), name
            ports = {p["name"]: p["containerPort"] for p in c["ports"]}
            for probe in (c[k] for k in ("readinessProbe", "livenessProbe", "startupProbe") if k in c):
                for action in ("httpGet", "tcpSocket"):
                    if action in probe:
                        assert probe[action]["port"] in {*ports, *ports.values()}, (name, probe)


def mebibytes(quantity: str) -> float:
    number, unit = re.fullmatch(r"(\d+(?:\.\d+)?)(Mi|Gi)", quantity).groups()  # type: ignore[union-attr]
    return float(number) * (1024 if unit == "Gi" else 1)


def test_rasa_is_ready_once_its_model_answers_status_with_the_token() -> None:
    rasa = container("Deployment", "rasa")
    startup = rasa["startupProbe"]
    assert startup["periodSeconds"] * startup["failureThreshold"] >= 180  # docker-compose.yml's start_period
    ready = " ".join(rasa["readinessProbe"]["exec"]["command"])
    assert "/status?token=${RASA_TOKEN}" in ready  # the token from the environment, never in the manifest
    assert rasa["livenessProbe"]["httpGet"]["path"] == "/"  # no token: a wrong one never restarts Rasa in a loop
    server = (Path(rasa_server_module()) / "server.py").read_text()
    assert re.search(r'@app.get\("/status"\)\s+@requires_auth', server)  # why readiness is an exec probe


def rasa_server_module() -> str:
    spec = importlib.util.find_spec("rasa")  # without importing it (slow)
    assert spec is not None and spec.origin is not None
    return str(Path(spec.origin).parent)


def test_the_gateway_leaves_the_service_without_redis_but_is_restarted_only_when_it_hangs() -> None:
    gateway = container("Deployment", "gateway")
    assert gateway["readinessProbe"]["httpGet"]["path"] == "/healthz"  # 503 only when Redis is unreachable
    alive = gateway["livenessProbe"]["httpGet"]["path"]
    assert alive != "/healthz"  # a Redis outage must not restart every gateway
    served = [route for route in create_app(Settings()).routes if getattr(route, "path", None) == alive]
    assert [route.endpoint for route in served] == [webchat.widget]  # type: ignore[attr-defined]  # a static file


def scale_target(autoscaler: dict[str, Any]) -> tuple[str, str, str]:
    ref = autoscaler["spec"]["scaleTargetRef"]
    return autoscaler["apiVersion"], ref["kind"], ref["name"]


def test_the_autoscalers_scale_the_rasa_and_gateway_deployments_on_cpu() -> None:
    autoscalers = [o for o in OBJECTS if o["kind"] == "HorizontalPodAutoscaler"]
    targets = {scale_target(a) for a in autoscalers}
    assert targets == {("autoscaling/v2", "Deployment", "rasa"), ("autoscaling/v2", "Deployment", "gateway")}
    for autoscaler in autoscalers:
        scaled = one("Deployment", scale_target(autoscaler)[2])
        assert "replicas" not in scaled["spec"]  # the autoscaler owns it; `kubectl apply` would reset it otherwise
        assert [m["resource"]["name"] for m in autoscaler["spec"]["metrics"]] == ["cpu"]
        assert autoscaler["spec"]["minReplicas"] >= 2


def test_each_container_runs_the_command_of_the_local_run() -> None:
    assert container("StatefulSet", "redis")["args"] == ["redis-server", *redis_args(6379, "/data", bind="0.0.0.0")]
    assert container("Deployment", "actions")["args"] == ["start", *actions_args(5055)]  # rasa-sdk's entrypoint
    rasa = container("Deployment", "rasa")
    assert rasa["args"] == rasa_args("$(RASA_TOKEN)", MODEL, 5005, "/app", interface="0.0.0.0")
    assert rasa["command"][-1] == "rasa" and 'exec rasa "$@"' in rasa["command"][2]
    assert "RASA_TOKEN" in {e["name"] for e in rasa["env"]}  # what Kubernetes puts for $(RASA_TOKEN)
    gateway = container("Deployment", "gateway")
    assert gateway["command"] == ["python", "-m", "bot", *gateway_args(8080, host="0.0.0.0")]


def test_the_images_are_the_ones_docker_compose_builds() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    for name, service in compose.items():
        image = container("StatefulSet" if name == "redis" else "Deployment", name)["image"]
        assert image in (service["image"], f"{service['image']}:latest"), name


def test_redis_keeps_its_append_only_file_on_a_persistent_volume() -> None:
    redis = one("StatefulSet", "redis")
    args = container("StatefulSet", "redis")["args"]
    assert args[args.index("--appendonly") + 1] == "yes" and args[args.index("--appendfsync") + 1] == "everysec"
    data = args[args.index("--dir") + 1]
    (mount,) = [m for m in container("StatefulSet", "redis")["volumeMounts"] if m["mountPath"] == data]
    claims = {claim["metadata"]["name"] for claim in redis["spec"]["volumeClaimTemplates"]}
    assert mount["name"] in claims
    assert redis["spec"]["replicas"] == 1 and redis["spec"]["serviceName"] == "redis"


def test_the_services_find_each_other_on_the_ports_they_listen_on() -> None:
    settings = one("ConfigMap", "passerelle-settings")["data"]
    for variable in ("REDIS_URL", "RASA_URL", "ACTION_SERVER_URL"):
        url = urlsplit(settings[variable])
        service = one("Service", str(url.hostname))
        assert url.port in [p["port"] for p in service["spec"]["ports"]], variable
    assert settings["RASA_REDIS_HOST"] == "redis" and settings["RASA_REDIS_PORT"] == "6379"
    for service in (o for o in OBJECTS if o["kind"] == "Service"):
        name = service["metadata"]["name"]
        selector = service["spec"]["selector"].items()
        pods = [w for w in workloads() if w["spec"]["template"]["metadata"]["labels"].items() >= selector]
        assert [p["metadata"]["name"] for p in pods] == [name]
        ports = {p["name"] for c in containers(pods[0]) for p in c["ports"]}
        assert {p["targetPort"] for p in service["spec"]["ports"]} <= ports, name
        assert service["spec"].get("type", "ClusterIP") == "ClusterIP", name  # exposing is the Ingress's job


def test_only_the_gateway_may_reach_rasa() -> None:
    policy = one("NetworkPolicy", "rasa")
    assert policy["spec"]["podSelector"]["matchLabels"] == {"app.kubernetes.io/name": "rasa"}
    sources = [peer for rule in policy["spec"]["ingress"] for peer in rule["from"]]
    assert sources == [{"podSelector": {"matchLabels": {"app.kubernetes.io/name": "gateway"}}}]


def test_every_variable_a_container_reads_is_a_documented_setting() -> None:
    settings, secrets = one("ConfigMap", "passerelle-settings"), one("Secret", "passerelle-secrets")
    known = env_example_names() | set(settings["data"])
    for workload in workloads():
        for c in containers(workload):
            for variable in c.get("env", []):
                assert variable["name"] in known, variable
                ref = variable.get("valueFrom", {}).get("secretKeyRef")
                if ref:
                    assert ref["name"] == "passerelle-secrets" and ref["key"] in secrets["data"], variable
            for source in c.get("envFrom", []):
                ref = source.get("configMapRef") or source["secretRef"]
                assert ref["name"] in ("passerelle-settings", "passerelle-secrets"), source


def test_every_setting_of_env_example_is_in_the_settings_or_the_secrets() -> None:
    settings = set(read_env_file(K8S / "settings.env"))
    secrets = set(read_env_file(K8S / "secrets.env.example"))
    names = env_example_names()
    missing = names - settings - secrets
    assert not missing, f"add to deploy/k8s/settings.env or secrets.env.example: {sorted(missing)}"
    assert not settings & secrets
    assert secrets <= names and {n for n in names if SECRET_NAME.search(n)} == secrets
    # Beyond .env.example: only what docker-compose.yml sets for Rasa (endpoints.yml's variables) and its workers.
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    set_by_compose = {k for s in compose.values() for k in s.get("environment", {})}
    assert settings - names <= set_by_compose | {"SANIC_WORKERS"}, settings - names - set_by_compose


def test_no_secret_is_committed() -> None:
    assert all(value == "" for value in read_env_file(K8S / "secrets.env.example").values())
    generator = yaml.safe_load((K8S / "kustomization.yaml").read_text())["secretGenerator"]
    assert [g["envs"] for g in generator] == [["secrets.env"]]
    ignored = (ROOT / ".gitignore").read_text().splitlines()
    assert "deploy/k8s/secrets.env" in ignored
