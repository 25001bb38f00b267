package org.gitopsrelay.gitops;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class KustomizationFileTest {

    private static final String OVERLAY = """
            apiVersion: kustomize.config.k8s.io/v1beta1
            kind: Kustomization
            namespace: shop-staging
            resources:
              - ../../base
            images:
              - name: other
                newTag: "1.0"
              - name: app-image
                newName: registry.example.org/shop
                newTag: old
                digest: sha256:abc
            patches:
              - patch: |-
                  - op: replace
                    path: /spec/replicas
                    value: 2
            """;

    @Test
    void setsOnlyTheNamedImageAndKeepsEverythingElse() {
        String yaml = KustomizationFile.parse(OVERLAY).image("app-image", "registry.example.org/shop", "3f2a").toYaml();
        KustomizationFile edited = KustomizationFile.parse(yaml);
        assertThat(edited.imageTag("app-image")).contains("3f2a");
        assertThat(edited.imageTag("other")).contains("1.0");
        assertThat(yaml).doesNotContain("digest").contains("newTag: \"1.0\"").contains("- ../../base")
                .contains("path: /spec/replicas");
    }

    @Test
    void addsAnImageEntryAndAnnotationsWhenMissing() {
        KustomizationFile file = KustomizationFile.parse("resources: [../../base]\n")
                .image("app-image", "registry.example.org/shop", "1")
                .annotation("source-commit", "abc");
        KustomizationFile again = KustomizationFile.parse(file.toYaml());
        assertThat(again.imageTag("app-image")).contains("1");
        assertThat(again.annotation("source-commit")).contains("abc");
        assertThat(file.toYaml()).contains("gitops-relay.io/source-commit: abc");
    }

    @Test
    void aHostileValueStaysInsideItsField() {
        String hostile = "x\nkind: Secret\nstringData: {password: hunter2}";
        KustomizationFile file = KustomizationFile.parse(OVERLAY).annotation("source-ref", hostile);
        KustomizationFile again = KustomizationFile.parse(file.toYaml());
        assertThat(again.annotation("source-ref")).contains(hostile);
        assertThat(again.tree().get("kind").asText()).isEqualTo("Kustomization");
        assertThat(again.tree().has("stringData")).isFalse();
    }

    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(strings = { "1234e56", "0x1f", "1.0", "1_000", "123", "1:20", ".5",
            "-1", "+1", "1234567" })
    void aTagThatLooksLikeANumberStaysAString(String tag) {
        String yaml = KustomizationFile.parse("images: []\n").image("app-image", "registry.example.org/shop", tag)
                .annotation("source-commit", tag).toYaml();
        KustomizationFile again = KustomizationFile.parse(yaml);
        assertThat(again.imageTag("app-image")).contains(tag);
        assertThat(again.annotation("source-commit")).contains(tag);
        assertThat(again.tree().get("images").get(0).get("newTag").isTextual()).as(yaml).isTrue();
    }

    @Test
    void aNumberTheFileHoldsIsWrittenBackAsItWasRead() {
        String yaml = KustomizationFile.parse("labels:\n  version: 1.10\n  big: 9e97887\n  ratio: 0.1000000000000000000001\n")
                .image("app-image", "registry.example.org/shop", "1").toYaml();
        assertThat(yaml).contains("version: 1.10").contains("ratio: 0.1000000000000000000001").doesNotContain("Infinity");
        assertThat(KustomizationFile.parse(yaml).tree().get("labels").get("big").isNumber()).as(yaml).isTrue();
    }

    @Test
    void aNullAnnotationIsRemoved() {
        KustomizationFile file = KustomizationFile.parse("resources: []\n").annotation("source-time", "x")
                .annotation("source-time", null);
        assertThat(KustomizationFile.parse(file.toYaml()).annotation("source-time")).isEmpty();
    }

    @Test
    void refusesWhatIsNotAMapping() {
        assertThatThrownBy(() -> KustomizationFile.parse("- a")).hasMessageContaining("must be a YAML mapping");
        assertThatThrownBy(() -> KustomizationFile.parse("a: [")).hasMessageContaining("not valid YAML");
    }
}
