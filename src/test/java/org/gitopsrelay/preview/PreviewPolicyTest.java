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
}
