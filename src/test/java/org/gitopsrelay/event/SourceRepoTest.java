package org.gitopsrelay.event;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class SourceRepoTest {

    @ParameterizedTest
    @ValueSource(strings = { "https://github.com/Example/Demo", "https://github.com/example/demo.git",
            "git@github.com:example/demo.git", "ssh://git@github.com/example/demo", "github.com/example/demo",
            "https://github.com/example/demo/" })
    void everyUrlFormOfOneRepositoryHasTheSameKey(String url) {
        assertThat(SourceRepo.parse(url).key()).isEqualTo("github.com/example/demo");
    }

    @Test
    void keepsGitLabSubgroupsAndPorts() {
        assertThat(SourceRepo.parse("https://gitlab.example.org:8443/group/sub/app.git").key())
                .isEqualTo("gitlab.example.org:8443/group/sub/app");
    }

    @Test
    void anScpFormWhoseUserHoldsAColonNamesTheHostAfterTheAt() {
        assertThat(SourceRepo.parse("user:pw@git.example.org:team/app.git").key()).isEqualTo("git.example.org/team/app");
    }

    @ParameterizedTest
    @ValueSource(strings = { "", "demo", "https://github.com/../etc/passwd", "https://github.com/a/b c",
            "https://github.com/only-owner", "file:///etc/passwd" })
    void refusesWhatIsNotARepository(String url) {
        assertThatThrownBy(() -> SourceRepo.parse(url)).isInstanceOf(IllegalArgumentException.class);
    }
}
