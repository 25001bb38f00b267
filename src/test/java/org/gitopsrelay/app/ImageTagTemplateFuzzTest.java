package org.gitopsrelay.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.regex.Pattern;

import org.gitopsrelay.event.GitChange.RefKind;
import org.gitopsrelay.testing.FuzzFields;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;

/**
 * {@link ImageTagTemplate#render} on any template, commit and ref name: a tag the registry accepts, or the
 * {@link IllegalArgumentException} it documents, never anything else.
 *
 * <p>Input: {@code template \0 sha \0 ref-name}, then two bytes from the end: the ref kind, and whether to use a
 * real commit SHA instead of the fuzzed one (odd: real).
 */
class ImageTagTemplateFuzzTest {

    /** What an OCI registry accepts as a tag, written out here rather than taken from {@link Names}. */
    private static final Pattern OCI_TAG = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9_.-]*");
    private static final String SHA = "3f2a9c0d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b";

    @FuzzTest(maxExecutions = FuzzFields.IN_SUITE, maxDuration = FuzzFields.IN_SUITE_LIMIT)
    void rendersARegistryTagOrRefusesWithIllegalArgument(FuzzedDataProvider data) {
        RefKind kind = data.pickValue(RefKind.values());
        boolean realSha = data.consumeBoolean();
        List<String> fields = FuzzFields.text(data, 3);
        String sha = realSha ? SHA : fields.get(1);
        String tag;
        try {
            tag = ImageTagTemplate.render(fields.get(0), sha, kind, fields.get(2));
        } catch (IllegalArgumentException e) {
            assertThat(e.getMessage()).isNotBlank();
            return;
        }
        assertThat(tag).hasSizeBetween(1, 128);
        assertThat(OCI_TAG.matcher(tag).matches()).as(tag).isTrue();
    }
}
