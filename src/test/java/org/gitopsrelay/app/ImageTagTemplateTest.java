package org.gitopsrelay.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;

import org.gitopsrelay.event.GitChange;
import org.gitopsrelay.event.GitChange.RefKind;
import org.gitopsrelay.event.SourceRepo;
import org.junit.jupiter.api.Test;

class ImageTagTemplateTest {

    private static final String SHA = "3f2a9c0d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b";

    private static GitChange.Push push(RefKind kind, String ref) {
        return new GitChange.Push(SourceRepo.parse("github.com/example/demo"), kind, ref, GitChange.ZERO_SHA, SHA, SHA,
                1, "dev", Instant.EPOCH, Instant.EPOCH, false, false, false);
    }

    @Test
    void fillsThePlaceholders() {
        assertThat(ImageTagTemplate.render("{sha}", push(RefKind.BRANCH, "main"))).isEqualTo(SHA);
        assertThat(ImageTagTemplate.render("main-{shortSha}", push(RefKind.BRANCH, "main"))).isEqualTo("main-3f2a9c0");
        assertThat(ImageTagTemplate.render("{branch}", push(RefKind.BRANCH, "feature/login"))).isEqualTo("feature-login");
        assertThat(ImageTagTemplate.render("{tag}", push(RefKind.TAG, "v1.2.3"))).isEqualTo("v1.2.3");
    }

    @Test
    void refusesATagNameThatIsNoValidImageTag() {
        assertThatThrownBy(() -> ImageTagTemplate.render("{tag}", push(RefKind.TAG, "v1\nnewTag: evil")))
                .hasMessageContaining("is not a valid image tag");
        assertThatThrownBy(() -> ImageTagTemplate.render("{tag}", push(RefKind.TAG, "-rc")))
                .hasMessageContaining("is not a valid image tag");
        assertThatThrownBy(() -> ImageTagTemplate.render("{tag}", push(RefKind.BRANCH, "main")))
                .hasMessageContaining("is a branch");
    }
}
