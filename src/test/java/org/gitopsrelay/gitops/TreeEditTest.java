package org.gitopsrelay.gitops;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class TreeEditTest {

    @ParameterizedTest
    @ValueSource(strings = { "../x", "apps/../../etc", "/etc/passwd", "apps//x", "apps/x/", "apps/./x",
            "apps/.git/config", "a\\b", "" })
    void refusesPathsThatEscapeOrAreNotPlain(String path) {
        assertThatThrownBy(() -> new TreeEdit().write(path, "x")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new TreeEdit().remove(path)).isInstanceOf(IllegalArgumentException.class);
    }

    @ParameterizedTest
    @ValueSource(strings = { "apps/demo/envs/staging/kustomization.yaml", "apps/demo/previews/pr-1" })
    void acceptsRepositoryPaths(String path) {
        assertThatCode(() -> new TreeEdit().write(path, "x").remove(path + "-old")).doesNotThrowAnyException();
    }

    @ParameterizedTest
    @ValueSource(strings = { "apps/demo", "apps/demo/envs/staging/kustomization.yaml/x" })
    void refusesAPathWrittenAsAFileAndAsAFolder(String path) {
        TreeEdit edit = new TreeEdit().write("apps/demo/envs/staging/kustomization.yaml", "x");
        assertThatThrownBy(() -> edit.write(path, "y")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("both as a file and as a folder");
        assertThatCode(() -> edit.write("apps/demo-2/x", "y").write("apps/demo/envs/staging/kustomization.yaml", "z"))
                .doesNotThrowAnyException();
    }
}
