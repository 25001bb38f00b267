package org.gitopsrelay.preview;

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
        assertThatCode(() -> PreviewPolicy.check(DEPLOYMENT_WITH_SECRET_REF, false)).doesNotThrowAnyException();
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
        assertThatCode(() -> PreviewPolicy.check(deployment("{}", ""), false)).doesNotThrowAnyException();
    }
}
