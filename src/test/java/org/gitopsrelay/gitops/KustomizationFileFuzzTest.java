package org.gitopsrelay.gitops;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Comparator;
import java.util.List;

import org.gitopsrelay.testing.FuzzFields;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import com.fasterxml.jackson.databind.JsonNode;

/**
 * {@link KustomizationFile} on any file and any values: a file that is not a YAML mapping is the
 * {@link IllegalArgumentException} it documents; any other is edited and written so that it parses again to the
 * same tree, with every edited value read back as it was set, whatever the value (it comes from a webhook).
 *
 * <p>Input: {@code kustomization.yaml \0 image name \0 new name \0 new tag \0 annotation key \0 annotation value
 * \0 namespace}, then one byte from the end whose low bits choose the edits: 1 the image, 2 the annotation, 4 the
 * namespace, 8 removing the annotation again. Numbers are compared by value, as Kubernetes reads them.
 */
class KustomizationFileFuzzTest {

    /**
     * The same tree, numbers compared by value: Kubernetes reads YAML as JSON, where {@code 22.} and {@code 22} are
     * one number, but {@code Infinity} is a string.
     */
    private static void assertSameTree(JsonNode actual, JsonNode expected, String yaml) {
        Comparator<JsonNode> byValue = (a, b) -> {
            if (a.isNumber() && b.isNumber()) {
                return a.decimalValue().compareTo(b.decimalValue());
            }
            return a.equals(b) ? 0 : 1;
        };
        assertThat(actual.equals(byValue, expected)).as("%s%nwritten as%n%s", expected, yaml).isTrue();
    }

    @FuzzTest(maxExecutions = FuzzFields.IN_SUITE, maxDuration = FuzzFields.IN_SUITE_LIMIT)
    void aFileWrittenBackParsesToTheSameTreeWithItsEdits(FuzzedDataProvider data) {
        int edits = data.consumeByte() & 0xf;
        List<String> fields = FuzzFields.text(data, 7);
        KustomizationFile file;
        try {
            file = KustomizationFile.parse(fields.get(0));
        } catch (IllegalArgumentException e) {
            assertThat(e.getMessage()).isNotBlank();
            return;
        }
        JsonNode asRead = file.tree().deepCopy();
        assertSameTree(KustomizationFile.parse(file.toYaml()).tree(), asRead, file.toYaml());

        String image = fields.get(1);
        String tag = fields.get(3);
        String key = fields.get(4);
        String value = fields.get(5);
        String namespace = fields.get(6);
        if ((edits & 1) != 0) {
            file.image(image, fields.get(2), tag);
        }
        if ((edits & 2) != 0) {
            file.annotation(key, value);
        }
        if ((edits & 4) != 0) {
            file.namespace(namespace);
        }
        if ((edits & 8) != 0) {
            file.annotation(key, null);
        }
        String yaml = file.toYaml();
        KustomizationFile again = KustomizationFile.parse(yaml);
        assertSameTree(again.tree(), file.tree(), yaml);
        if ((edits & 1) != 0) {
            assertThat(again.imageTag(image)).as(yaml).contains(tag);
        }
        if ((edits & 2) != 0 && (edits & 8) == 0) {
            assertThat(again.annotation(key)).as(yaml).contains(value);
        }
        if ((edits & 8) != 0) {
            assertThat(again.annotation(key)).as(yaml).isEmpty();
        }
        if ((edits & 4) != 0) {
            assertThat(again.namespace()).as(yaml).contains(namespace);
        }
    }
}
