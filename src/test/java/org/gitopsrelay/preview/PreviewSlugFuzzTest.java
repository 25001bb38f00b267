package org.gitopsrelay.preview;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

import org.gitopsrelay.app.Names;
import org.gitopsrelay.event.Preview;
import org.gitopsrelay.testing.FuzzFields;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;

/**
 * {@link PreviewSlug} on any branch name and pull request number, for any valid app name: a DNS label that makes a
 * namespace of at most 63 characters and a folder that is one level under {@code apps/<app>/previews/}, or the
 * {@link IllegalArgumentException} it documents (an empty branch, a number below 1).
 *
 * <p>Input: {@code branch \0 app}, then from the end: one byte choosing a pull request (odd) or a branch, four bytes
 * of pull request number, one byte picking a known app name when the fuzzed one is not valid.
 */
class PreviewSlugFuzzTest {

    private static final String[] APPS = { "demo", "a", "shop-frontend", "x".repeat(40) };

    @FuzzTest(maxExecutions = FuzzFields.IN_SUITE, maxDuration = FuzzFields.IN_SUITE_LIMIT)
    void aSlugIsADnsLabelWhoseNamespaceFitsAndWhoseFolderStaysInside(FuzzedDataProvider data) {
        boolean pullRequest = data.consumeBoolean();
        int number = data.consumeInt();
        String known = data.pickValue(APPS);
        List<String> fields = FuzzFields.text(data, 2);
        // An app name is a folder name the app.yaml parser accepted: at most 40 characters of a DNS label.
        String app = Names.isDnsLabel(fields.get(1), 40) ? fields.get(1) : known;
        String branch = fields.get(0);
        String slug;
        try {
            slug = pullRequest ? PreviewSlug.forPullRequest(number) : PreviewSlug.forBranch(app, branch);
        } catch (IllegalArgumentException e) {
            assertThat(pullRequest ? number < 1 : branch.isEmpty()).as(e.getMessage()).isTrue();
            return;
        }
        assertThat(slug).startsWith(pullRequest ? "pr-" : "br-");
        assertThat(Names.isDnsLabel(slug, 63)).as(slug).isTrue();
        String namespace = PreviewOverlay.namespace(app, slug);
        assertThat(namespace.length()).as(namespace).isLessThanOrEqualTo(PreviewSlug.MAX_NAMESPACE);
        assertThat(Names.isDnsLabel(namespace, 63)).as(namespace).isTrue();
        String folder = Preview.folderOf(app, slug);
        assertThat(FuzzFields.isInside(folder, "apps/" + app + "/previews")).as(folder).isTrue();
        assertThat(folder).isEqualTo("apps/" + app + "/previews/" + slug);
        // The same branch always gets the same preview.
        if (!pullRequest) {
            assertThat(PreviewSlug.forBranch(app, branch)).isEqualTo(slug);
        }
    }
}
