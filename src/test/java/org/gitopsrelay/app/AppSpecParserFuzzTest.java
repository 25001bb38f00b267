package org.gitopsrelay.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

import org.gitopsrelay.event.GitChange.RefKind;
import org.gitopsrelay.event.Preview;
import org.gitopsrelay.preview.PreviewOverlay;
import org.gitopsrelay.preview.PreviewSlug;
import org.gitopsrelay.testing.FuzzFields;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;

/**
 * {@link AppSpecParser#parse} on any folder name and any app.yaml: an app whose every folder, namespace and image
 * tag template is usable, or the {@link InvalidAppException} it documents, with the problems. An app.yaml is written
 * by a team, so nothing in it may lead the relay to write outside {@code apps/<app>/}.
 *
 * <p>Input: {@code folder \0 app.yaml}, then one byte from the end: odd, the fuzzed folder name; even, a valid one
 * picked by the next byte.
 */
class AppSpecParserFuzzTest {

    private static final String[] FOLDERS = { "demo", "a", "shop-frontend", "x".repeat(40) };
    private static final String SHA = "199eddf46df50de8d02e99bf1c5fdb4101338224";

    @FuzzTest(maxExecutions = FuzzFields.IN_SUITE, maxDuration = FuzzFields.IN_SUITE_LIMIT)
    void anAppYamlIsAnAppThatStaysInItsFolderOrInvalid(FuzzedDataProvider data) {
        boolean fuzzedFolder = data.consumeBoolean();
        String picked = data.pickValue(FOLDERS);
        List<String> fields = FuzzFields.text(data, 2);
        String folder = fuzzedFolder ? fields.get(0) : picked;
        AppSpec app;
        try {
            app = AppSpecParser.parse(folder, fields.get(1));
        } catch (InvalidAppException e) {
            assertThat(e.problems()).isNotEmpty();
            assertThat(e.path()).isEqualTo("apps/" + folder + "/app.yaml");
            return;
        }
        String name = app.name();
        assertThat(name).isEqualTo(folder);
        assertThat(Names.isDnsLabel(name, 40)).as(name).isTrue();
        String appFolder = "apps/" + name;
        assertThat(app.folder()).isEqualTo(appFolder);
        assertThat(FuzzFields.isInside(app.folder(), appFolder)).isTrue();
        assertThat(Names.isImage(app.image())).as(app.image()).isTrue();
        assertThat(app.environments().isEmpty() && !app.previews().enabled()).isFalse();
        for (EnvironmentSpec env : app.environments()) {
            String overlay = env.overlayDir(name);
            assertThat(FuzzFields.isInside(overlay, appFolder + "/envs")).as(overlay).isTrue();
            assertThat(overlay).isNotEqualTo(appFolder + "/envs");
            assertThat(env.namespace()).isEqualTo(Namespaces.of(name, env.name()));
            assertThat(Names.isDnsLabel(env.namespace(), 63)).as(env.namespace()).isTrue();
            // Every template the parser accepts deploys a plain push of the kind the environment follows.
            String ref = env.feed() == RefKind.BRANCH ? "main" : "v1.0.0";
            assertThat(Names.isImageTag(ImageTagTemplate.render(env.imageTag(), SHA, env.feed(), ref))).isTrue();
        }
        if (app.previews().enabled()) {
            assertThat(Names.isImageTag(ImageTagTemplate.render(app.previews().imageTag(), SHA, RefKind.BRANCH,
                    "feature/login"))).isTrue();
            for (String slug : List.of(PreviewSlug.forPullRequest(1), PreviewSlug.forPullRequest(Integer.MAX_VALUE),
                    PreviewSlug.forBranch(name, "feature/login"), PreviewSlug.forBranch(name, "../../envs/production"))) {
                String previewFolder = Preview.folderOf(name, slug);
                assertThat(FuzzFields.isInside(previewFolder, appFolder + "/previews")).as(previewFolder).isTrue();
                assertThat(Names.isDnsLabel(PreviewOverlay.namespace(name, slug), 63)).isTrue();
            }
            app.previews().domain().ifPresent(domain -> assertThat(PreviewOverlay.host(name,
                    PreviewSlug.forPullRequest(Integer.MAX_VALUE), domain).length()).isLessThanOrEqualTo(253));
        }
    }
}
