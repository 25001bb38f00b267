package org.gitopsrelay.preview;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

import org.gitopsrelay.app.Names;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class PreviewSlugTest {

    private static final List<String> HOSTILE = List.of("../../envs/production", "feat/ÉTÉ", "feat/été", "🚀-launch",
            "🔥", "x".repeat(300), "release/1.2.3", "Feature/Login", "feature/login", "feature-login", "feature_login",
            "feature//login", "-", "...", "a/../b", "UPPER", "upper", "%2e%2e%2f", "name\nwith\nnewlines",
            "ns; kubectl delete ns default", "../../../../etc/passwd", ".hidden", "trailing-");

    @ParameterizedTest
    @ValueSource(strings = { "../../envs/production", "feat/ÉTÉ", "🚀-launch", "release/1.2.3", "Feature/Login",
            "feature_login", "-", "...", "%2e%2e%2f", "name\nwith\nnewlines", "ns; kubectl delete ns default" })
    void everyBranchBecomesADnsLabelThatIsNoPath(String branch) {
        String slug = PreviewSlug.forBranch("demo", branch);
        assertThat(Names.isDnsLabel(slug, 63)).as(slug).isTrue();
        assertThat(Names.isDnsLabel("demo-" + slug, PreviewSlug.MAX_NAMESPACE)).as(slug).isTrue();
        assertThat(slug).doesNotContain("/", "..", ".");
    }

    @Test
    void aLongBranchIsTruncatedWithAHashAndTheNamespaceFits() {
        String app = "a-rather-long-application-name";
        String slug = PreviewSlug.forBranch(app, "feature/" + "x".repeat(300));
        assertThat((app + "-" + slug).length()).isLessThanOrEqualTo(63);
        assertThat(slug).startsWith("br-feature-xxx").matches(".*-[0-9a-f]{6}");
    }

    @Test
    void namesThatDifferOnlyByCaseOrPunctuationGetDifferentSlugs() {
        Set<String> slugs = new HashSet<>();
        for (String branch : HOSTILE) {
            slugs.add(PreviewSlug.forBranch("demo", branch));
        }
        assertThat(slugs).hasSize(HOSTILE.size());
    }

    @Test
    void aPlainBranchKeepsItsNameAndEverySlugIsStable() {
        assertThat(PreviewSlug.forBranch("demo", "login-page")).isEqualTo("br-login-page");
        for (String branch : HOSTILE) {
            assertThat(PreviewSlug.forBranch("demo", branch)).isEqualTo(PreviewSlug.forBranch("demo", branch));
        }
        assertThat(PreviewSlug.forBranch("demo", "feat/ÉTÉ")).startsWith("br-feat-ete-");
        assertThat(PreviewSlug.forBranch("demo", "🔥")).matches("br-[0-9a-f]{6}");
    }

    @Test
    void aPlainBranchNamedLikeAHashedSlugCannotTakeItsPlace() {
        String hashed = PreviewSlug.forBranch("demo", "Feature");
        String lookalike = hashed.substring("br-".length());
        assertThat(PreviewSlug.forBranch("demo", lookalike)).isNotEqualTo(hashed).startsWith(hashed + "-");
    }

    @Test
    void pullRequestsAreNumbered() {
        assertThat(PreviewSlug.forPullRequest(42)).isEqualTo("pr-42");
        assertThatThrownBy(() -> PreviewSlug.forPullRequest(0)).isInstanceOf(IllegalArgumentException.class);
    }
}
