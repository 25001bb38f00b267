package org.gitopsrelay.preview;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class PreviewPolicyTest {

    private static final String DEPLOYMENT_WITH_SECRET_REF = """
            apiVersion: apps/v1
            kind: Deployment
            metadata: {name: web}
            spec:
              template:
                spec:
                  automountServiceAccountToken: false
                  containers:
                    - name: web
                      env:
                        - name: DB_PASSWORD
                          valueFrom: {secretKeyRef: {name: db, key: password}}
                      envFrom:
                        - secretRef: {name: staging-credentials}
                  volumes:
                    - name: certs
                      secret: {secretName: tls}
            """;

    /** What the preview component's networkpolicy.yaml isolates every pod with (its DNS rule, as shipped). */
    private static final String DEFAULT_DENY = """
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: {name: preview-default-deny}
            spec:
              podSelector: {}
              policyTypes: [Ingress, Egress]
              egress:
                - to:
                    - namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: kube-system}}
                      podSelector: {matchLabels: {k8s-app: kube-dns}}
                  ports: [{port: 53, protocol: UDP}, {port: 53, protocol: TCP}]
            """;

    /** A Deployment whose pod template has this metadata and, after its one container, these pod spec fields. */
    private static String deployment(String podTemplateMetadata, String podSpec) {
        return "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  template:\n"
                + "    metadata:\n" + podTemplateMetadata.indent(6) + "    spec:\n"
                + "      automountServiceAccountToken: false\n" + "      containers: [{name: web, image: app}]\n"
                + podSpec.indent(6);
    }

    @Test
    void noPreviewCarriesSecretObjects() {
        for (String kind : new String[] { "Secret", "SealedSecret", "ExternalSecret" }) {
            assertThatThrownBy(() -> PreviewPolicy.check("apiVersion: v1\nkind: " + kind + "\nmetadata: {name: db}\n",
                    false)).hasMessageContaining(kind + "/db would give the preview credentials")
                    .hasMessageEndingWith("(previews never carry secrets)");
        }
    }

    @Test
    void codeFromAForkMayNotEvenReferToASecret() {
        assertThatThrownBy(() -> PreviewPolicy.check(DEPLOYMENT_WITH_SECRET_REF, true))
                .hasMessageContaining("Deployment/web refers to a secret at /spec/template/spec/containers/0/env/0/valueFrom/secretKeyRef")
                .hasMessageContaining("/spec/template/spec/containers/0/envFrom/0/secretRef")
                .hasMessageContaining("/spec/template/spec/volumes/0/secret")
                .hasMessageEndingWith("(code from a fork gets no secrets)");
    }

    @Test
    void trustedCodeMayReferToSecretsOfItsOwnNamespace() {
        assertThatCode(() -> PreviewPolicy.check(DEPLOYMENT_WITH_SECRET_REF + "---\n" + DEFAULT_DENY, false)).doesNotThrowAnyException();
    }

    @Test
    void noPreviewMountsAServiceAccountToken() {
        String mounting = """
                apiVersion: apps/v1
                kind: Deployment
                metadata: {name: web}
                spec:
                  template:
                    spec:
                      automountServiceAccountToken: true
                      containers: [{name: web, image: app}]
                """;
        String silent = mounting.replace("      automountServiceAccountToken: true\n", "");
        String cronJob = """
                apiVersion: batch/v1
                kind: CronJob
                metadata: {name: report}
                spec:
                  jobTemplate:
                    spec:
                      template:
                        spec:
                          containers: [{name: report, image: app}]
                """;
        for (boolean untrusted : new boolean[] { false, true }) {
            assertThatThrownBy(() -> PreviewPolicy.check(mounting, untrusted))
                    .hasMessageContaining("Deployment/web would mount a service account token"
                            + " (/spec/template/spec/automountServiceAccountToken must be false)");
            assertThatThrownBy(() -> PreviewPolicy.check(silent, untrusted))
                    .hasMessageContaining("Deployment/web would mount a service account token");
        }
        assertThatThrownBy(() -> PreviewPolicy.check(cronJob, false)).hasMessageContaining(
                "CronJob/report would mount a service account token"
                        + " (/spec/jobTemplate/spec/template/spec/automountServiceAccountToken must be false)");
        assertThatCode(() -> PreviewPolicy.check(deployment("{}", "") + "---\n" + DEFAULT_DENY, false))
                .doesNotThrowAnyException();
    }

    @Test
    void codeFromAForkGetsOnlyTheKindsAPreviewIsMadeOf() {
        for (String kind : new String[] { "SecretProviderClass", "ServiceAccount", "Role", "RoleBinding",
                "ClusterRoleBinding", "PersistentVolumeClaim", "Pod", "CronJob", "DaemonSet", "VaultStaticSecret" }) {
            assertThatThrownBy(() -> PreviewPolicy.check("apiVersion: v1\nkind: " + kind
                    + "\nmetadata: {name: x}\n", true)).hasMessageContaining(kind + "/x: a preview of code from a fork"
                            + " may not hold a " + kind)
                    .hasMessageEndingWith("(code from a fork gets no secrets)");
        }
        for (String kind : new String[] { "Namespace", "ResourceQuota", "LimitRange", "NetworkPolicy", "Service",
                "Ingress", "ConfigMap", "HorizontalPodAutoscaler", "PodDisruptionBudget" }) {
            assertThatCode(() -> PreviewPolicy.check("apiVersion: v1\nkind: " + kind + "\nmetadata: {name: x}\n---\n"
                    + DEFAULT_DENY, true)).as(kind).doesNotThrowAnyException();
        }
        String job = deployment("{}", "").replace("kind: Deployment", "kind: Job");
        String statefulSet = deployment("{}", "").replace("kind: Deployment", "kind: StatefulSet");
        assertThatCode(() -> PreviewPolicy.check(job + "---\n" + statefulSet + "---\n" + deployment("{}", "")
                + "---\n" + DEFAULT_DENY, true))
                .doesNotThrowAnyException();
    }

    @Test
    void codeFromAForkGetsNoVolumeButEmptyDirConfigMapOrDownwardApi() {
        String volumes = """
                volumes:
                  - {name: tmp, emptyDir: {}}
                  - {name: settings, configMap: {name: settings}}
                  - name: about
                    downwardAPI: {items: [{path: labels, fieldRef: {fieldPath: metadata.labels}}]}
                  - name: both
                    projected:
                      sources:
                        - configMap: {name: settings}
                        - downwardAPI: {items: [{path: name, fieldRef: {fieldPath: metadata.name}}]}
                """;
        assertThatCode(() -> PreviewPolicy.check(deployment("{}", volumes) + "---\n" + DEFAULT_DENY, true))
                .doesNotThrowAnyException();

        String token = """
                volumes:
                  - name: token
                    projected:
                      sources:
                        - configMap: {name: settings}
                        - serviceAccountToken: {path: token, audience: vault}
                """;
        assertThatThrownBy(() -> PreviewPolicy.check(deployment("{}", token), true)).hasMessageContaining(
                "Deployment/web would mount a service account token (/spec/template/spec/volumes/0 projects a"
                        + " serviceAccountToken)");
        String csi = """
                volumes:
                  - name: vault
                    csi:
                      driver: secrets-store.csi.k8s.io
                      volumeAttributes: {secretProviderClass: staging-db}
                """;
        assertThatThrownBy(() -> PreviewPolicy.check(deployment("{}", csi), true)).hasMessageContaining(
                "Deployment/web: volume vault is of type csi, which a preview of code from a fork may not mount");
        for (String type : new String[] { "hostPath: {path: /var/run}", "persistentVolumeClaim: {claimName: data}",
                "nfs: {server: nas, path: /}", "ephemeral: {volumeClaimTemplate: {spec: {}}}" }) {
            String name = type.substring(0, type.indexOf(':'));
            String manifest = deployment("{}", "volumes: [{name: v, " + type + "}]") + "---\n" + DEFAULT_DENY;
            assertThatThrownBy(() -> PreviewPolicy.check(manifest, true))
                    .hasMessageContaining("Deployment/web: volume v is of type " + name);
            assertThatCode(() -> PreviewPolicy.check(manifest, false)).doesNotThrowAnyException();
        }
        String claims = deployment("{}", "").replace("kind: Deployment", "kind: StatefulSet")
                + "  volumeClaimTemplates: [{metadata: {name: data}, spec: {}}]\n";
        assertThatThrownBy(() -> PreviewPolicy.check(claims, true)).hasMessageContaining(
                "StatefulSet/web: volumeClaimTemplates would give a preview of code from a fork persistent volumes");
    }

    @Test
    void codeFromAForkGetsNoWorkloadIdentityOrVaultInjection() {
        String[] keys = { "azure.workload.identity/client-id", "iam.gke.io/gcp-service-account",
                "eks.amazonaws.com/role-arn", "vault.hashicorp.com/agent-inject", "iam.amazonaws.com/role" };
        for (String key : keys) {
            String onTemplate = deployment("annotations: {\"" + key + "\": \"x\"}", "");
            assertThatThrownBy(() -> PreviewPolicy.check(onTemplate, true)).hasMessageContaining("Deployment/web: "
                    + "annotation " + key + " at /spec/template/metadata would give a preview of code from a fork"
                    + " credentials");
            String onService = "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\n  annotations: {\"" + key
                    + "\": \"x\"}\n";
            assertThatThrownBy(() -> PreviewPolicy.check(onService, true)).hasMessageContaining("Service/web: "
                    + "annotation " + key + " at /metadata would give");
            assertThatCode(() -> PreviewPolicy.check(onTemplate + "---\n" + DEFAULT_DENY, false))
                    .doesNotThrowAnyException();
        }
        String labelled = deployment("labels: {azure.workload.identity/use: \"true\", aadpodidbinding: staging}", "");
        assertThatThrownBy(() -> PreviewPolicy.check(labelled, true))
                .hasMessageContaining("label azure.workload.identity/use at /spec/template/metadata")
                .hasMessageContaining("label aadpodidbinding at /spec/template/metadata");
    }

    @Test
    void codeFromAForkIsNotLetOutOfItsNamespaceByAnotherNetworkPolicy() {
        String open = """
                apiVersion: networking.k8s.io/v1
                kind: NetworkPolicy
                metadata: {name: web-out}
                spec:
                  podSelector: {}
                  policyTypes: [Egress]
                  egress:
                    - to: [{podSelector: {matchLabels: {app.kubernetes.io/component: database}}}]
                      ports: [{port: 5432}]
                    - to: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: kube-system}},
                            podSelector: {matchLabels: {k8s-app: kube-dns}}}]
                      ports: [{port: 53, protocol: UDP}]
                    - ports: [{port: 443}]
                    - to: [{ipBlock: {cidr: 0.0.0.0/0, except: [169.254.0.0/16]}}]
                    - to: [{namespaceSelector: {}}]
                      ports: [{port: 5432}]
                """;
        assertThatThrownBy(() -> PreviewPolicy.check(open, true))
                .hasMessageContaining("NetworkPolicy/web-out: egress rule 2 lets pods out of the preview's namespace")
                .hasMessageContaining("egress rule 3 lets").hasMessageContaining("egress rule 4 lets")
                .message().doesNotContain("egress rule 0", "egress rule 1");
        assertThatCode(() -> PreviewPolicy.check(open + "---\n" + DEFAULT_DENY, false)).doesNotThrowAnyException();
    }

    @Test
    void everyPreviewWithoutADefaultDenyNetworkPolicyIsRefusedWithWhatToCopyAgain() {
        String web = deployment("{}", "");
        String onlyWeb = DEFAULT_DENY.replace("podSelector: {}",
                "podSelector: {matchLabels: {app.kubernetes.io/component: web}}");
        String ingressOnly = DEFAULT_DENY.replace("policyTypes: [Ingress, Egress]", "policyTypes: [Ingress]");
        String egressOnly = DEFAULT_DENY.replace("policyTypes: [Ingress, Egress]", "policyTypes: [Egress]");
        String outdated = """
                apiVersion: networking.k8s.io/v1
                kind: NetworkPolicy
                metadata: {name: web-from-ingress-controller}
                spec:
                  podSelector: {matchLabels: {app.kubernetes.io/component: web}}
                  policyTypes: [Ingress]
                  ingress: [{from: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: ingress-nginx}}}]}]
                """;
        for (boolean untrusted : new boolean[] { false, true }) {
            for (String policies : new String[] { "", "---\n" + outdated, "---\n" + onlyWeb, "---\n" + ingressOnly,
                    "---\n" + egressOnly }) {
                assertThatThrownBy(() -> PreviewPolicy.check(web + policies, untrusted, "apps/legacy"))
                        .as("untrusted %s, policies %s", untrusted, policies)
                        .hasMessage("The preview is refused: it has no default-deny NetworkPolicy (one with"
                                + " podSelector: {} and policyTypes Ingress and Egress), so its pods would run without"
                                + " network isolation: copy kustomize-base/components/preview (and preview-database)"
                                + " into apps/legacy/components/ again");
            }
            assertThatThrownBy(() -> PreviewPolicy.check(web, untrusted))
                    .hasMessageContaining("into apps/<app>/components/ again");
            assertThatCode(() -> PreviewPolicy.check(web + "---\n" + outdated + "---\n" + DEFAULT_DENY, untrusted,
                    "apps/legacy")).doesNotThrowAnyException();
        }
    }

    @Test
    void codeFromAForkGetsNoPortRangeAndPort53OnlyToTheClusterDnsPods() {
        String kubeDns = "{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: kube-system}},"
                + " podSelector: {matchLabels: {k8s-app: kube-dns}}}";
        String[] refused = {
                "- to: [{ipBlock: {cidr: 0.0.0.0/0}}]\n  ports: [{port: 53, endPort: 65535}]",
                "- to: [" + kubeDns + "]\n  ports: [{port: 53, endPort: 65535}]",
                "- to: [{podSelector: {matchLabels: {app.kubernetes.io/component: database}}}]\n"
                        + "  ports: [{port: 5432, endPort: 5440}]",
                "- ports: [{port: 53, protocol: UDP}]",
                "- to: [{ipBlock: {cidr: 8.8.8.8/32}}]\n  ports: [{port: 53, protocol: UDP}]",
                "- to: [{namespaceSelector: {}}]\n  ports: [{port: 53}]",
                "- to: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: kube-system}}}]\n"
                        + "  ports: [{port: 53}]",
                "- to: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: kube-system}},"
                        + " podSelector: {}}]\n  ports: [{port: 53}]",
                "- to: [{namespaceSelector: {matchLabels: {name: kube-system}},"
                        + " podSelector: {matchLabels: {k8s-app: kube-dns}}}]\n  ports: [{port: 53}]",
                "- to: [{namespaceSelector: {}, podSelector: {matchLabels: {k8s-app: kube-dns}}}]\n"
                        + "  ports: [{port: 53}]",
                "- to: [" + kubeDns + ", {ipBlock: {cidr: 0.0.0.0/0}}]\n  ports: [{port: 53}]",
                "- to: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: kube-system}},"
                        + " podSelector: {matchLabels: {k8s-app: kube-dns},"
                        + " matchExpressions: [{key: k8s-app, operator: Exists}]}}]\n  ports: [{port: 53}]" };
        for (String rule : refused) {
            String manifest = DEFAULT_DENY + "---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
                    + "metadata: {name: out}\nspec:\n  podSelector: {}\n  policyTypes: [Egress]\n  egress:\n"
                    + rule.indent(4);
            assertThatThrownBy(() -> PreviewPolicy.check(manifest, true)).as(rule)
                    .hasMessageContaining("NetworkPolicy/out: egress rule 0 ")
                    .message().doesNotContain("preview-default-deny");
            assertThatCode(() -> PreviewPolicy.check(manifest, false)).as(rule).doesNotThrowAnyException();
        }
        String range = DEFAULT_DENY.replace("{port: 53, protocol: TCP}", "{port: 53, endPort: 65535, protocol: TCP}");
        assertThatThrownBy(() -> PreviewPolicy.check(range, true)).hasMessageContaining(
                "NetworkPolicy/preview-default-deny: egress rule 0 opens a range of ports (endPort), which a preview"
                        + " of code from a fork may not");
        String tunnel = DEFAULT_DENY.replace("- namespaceSelector: {matchLabels: {kubernetes.io/metadata.name:"
                + " kube-system}}\n          podSelector: {matchLabels: {k8s-app: kube-dns}}",
                "- ipBlock: {cidr: 0.0.0.0/0}");
        assertThat(tunnel).isNotEqualTo(DEFAULT_DENY);
        assertThatThrownBy(() -> PreviewPolicy.check(tunnel, true)).hasMessageContaining(
                "NetworkPolicy/preview-default-deny: egress rule 0 lets pods out of the preview's namespace (on port"
                        + " 53, to the cluster DNS pods only: namespaceSelector kubernetes.io/metadata.name:"
                        + " kube-system with podSelector k8s-app: kube-dns)");
        assertThatCode(() -> PreviewPolicy.check(DEFAULT_DENY, true)).doesNotThrowAnyException();
    }

    @Test
    void noPreviewMountsAServiceAccountTokenThroughAProjectedVolume() {
        String projected = deployment("{}", """
                volumes:
                  - name: settings
                    projected: {sources: [{configMap: {name: settings}}]}
                  - name: token
                    projected:
                      sources:
                        - configMap: {name: settings}
                        - serviceAccountToken: {path: token, audience: vault}
                """) + "---\n" + DEFAULT_DENY;
        for (boolean untrusted : new boolean[] { false, true }) {
            assertThatThrownBy(() -> PreviewPolicy.check(projected, untrusted)).hasMessageContaining(
                    "Deployment/web would mount a service account token (/spec/template/spec/volumes/1 projects a"
                            + " serviceAccountToken)").message().doesNotContain("volumes/0");
        }
    }
}
