package org.gitopsrelay.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.gitopsrelay.event.GitChange.RefKind;
import org.junit.jupiter.api.Test;

class AppSpecParserTest {

    @Test
    void readsAFullRegistration() throws InvalidAppException {
        AppSpec app = AppSpecParser.parse("shop", """
                name: shop
                source:
                  repository: https://github.com/example/shop.git
                image:
                  repository: registry.example.org/example/shop
                  name: shop-image
                  tag: "git-{shortSha}"
                environments:
                  dev:
                    branch: "feature/*"
                    imageTag: "{branch}-{shortSha}"
                  staging:
                    branch: main
                  production:
                    tag: "v*"
                    imageTag: "{tag}"
                """);
        assertThat(app.source().key()).isEqualTo("github.com/example/shop");
        assertThat(app.imageName()).isEqualTo("shop-image");
        assertThat(app.environments()).extracting(EnvironmentSpec::name).containsExactly("dev", "staging", "production");
        assertThat(app.environmentsFollowing(RefKind.BRANCH, "feature/login")).extracting(EnvironmentSpec::name)
                .containsExactly("dev");
        assertThat(app.environmentsFollowing(RefKind.BRANCH, "main")).extracting(EnvironmentSpec::imageTag)
                .containsExactly("git-{shortSha}");
        assertThat(app.environmentsFollowing(RefKind.TAG, "v1.2.0")).extracting(EnvironmentSpec::namespace)
                .containsExactly("shop-production");
        assertThat(app.environmentsFollowing(RefKind.BRANCH, "v1.2.0")).isEmpty();
    }

    @Test
    void withoutEnvironmentsMainDeploysStagingAndVTagsDeployProduction() throws InvalidAppException {
        AppSpec app = AppSpecParser.parse("demo", """
                source: {repository: github.com/example/demo}
                image: {repository: registry.example.org/example/demo}
                """);
        assertThat(app.environmentsFollowing(RefKind.BRANCH, "main")).extracting(EnvironmentSpec::name)
                .containsExactly("staging");
        assertThat(app.environmentsFollowing(RefKind.TAG, "v2.0.0")).extracting(EnvironmentSpec::name)
                .containsExactly("production");
        assertThat(app.environment("staging").orElseThrow().imageTag()).isEqualTo("{sha}");
        assertThat(app.environment("staging").orElseThrow().namespace()).isEqualTo("demo-staging");
    }

    @Test
    void anAppNamesItsMattermostChannelOrAWebhookConfiguredOutsideGit() throws InvalidAppException {
        AppSpec app = AppSpecParser.parse("shop", """
                source: {repository: github.com/example/shop}
                image: {repository: registry.example.org/shop}
                notifications: {mattermost: {channel-id: shopchannel000000000000000, webhook: team-shop}}
                """);
        assertThat(app.notifications().mattermostChannelId()).contains("shopchannel000000000000000");
        assertThat(app.notifications().mattermostWebhook()).contains("team-shop");
    }

    @Test
    void aMattermostSecretInAppYamlIsRefusedWithWhereItBelongs() {
        assertThatThrownBy(() -> AppSpecParser.parse("shop", """
                source: {repository: github.com/example/shop}
                image: {repository: registry.example.org/shop}
                notifications: {mattermost: {webhook-url: "https://chat.example.org/hooks/abc", channel-id: "Not Valid"}}
                """)).hasMessageContaining("notifications.mattermost.webhook-url: a Mattermost URL or token is a"
                + " secret and never lives in Git; configure it as relay.mattermost.webhooks.<name>")
                .hasMessageContaining("notifications.mattermost.channel-id 'Not Valid' is not a Mattermost channel id");
    }

    @Test
    void reportsEveryProblemAtOnce() {
        assertThatThrownBy(() -> AppSpecParser.parse("shop", """
                name: other
                sources: {}
                image: {repository: "Registry/UPPER:tag"}
                environments:
                  staging: {branch: main, tag: "v*"}
                  Prod_1: {tag: "v*"}
                  qa: {branch: main, imageTag: "{tag}", color: blue}
                """))
                .isInstanceOfSatisfying(InvalidAppException.class, e -> assertThat(e.problems()).containsExactlyInAnyOrder(
                        "unknown key 'sources'",
                        "name 'other' differs from its folder 'shop'",
                        "source.repository is required (e.g. github.com/example/shop)",
                        "image.repository 'Registry/UPPER:tag' is not an image name without tag",
                        "environments.staging needs exactly one of 'branch' (a branch name or pattern) or 'tag' (a tag pattern)",
                        "environments.Prod_1: the name is not valid (lower case letters, digits and '-', at most 20)",
                        "unknown key 'environments.qa.color'",
                        "environments.qa.imageTag uses {tag} but the environment follows a branch"));
    }

    @Test
    void refusesYamlThatIsNotAMappingAndFolderNamesThatAreNotDnsLabels() {
        assertThatThrownBy(() -> AppSpecParser.parse("shop", "- a\n- b\n"))
                .hasMessageContaining("must be a YAML mapping");
        assertThatThrownBy(() -> AppSpecParser.parse("shop", "source: [unclosed\n"))
                .hasMessageContaining("not valid YAML");
        assertThatThrownBy(() -> AppSpecParser.parse("Shop_App", "source: {}\n"))
                .hasMessageContaining("not a valid app name");
    }

    @Test
    void checksTheDatabaseSectionAndKeepsEnvironmentNamesApartFromPreviews() {
        assertThatThrownBy(() -> AppSpecParser.parse("shop", """
                source: {repository: github.com/example/shop}
                image: {repository: registry.example.org/shop}
                environments:
                  pr-1: {branch: main}
                database: {engine: mysql, backups: "relative/../path", stagingBackups: x}
                """)).isInstanceOfSatisfying(InvalidAppException.class, e -> assertThat(e.problems())
                        .containsExactlyInAnyOrder("environments.pr-1: names starting with 'pr-' or 'br-' belong to previews",
                                "unknown key 'database.stagingBackups'",
                                "database.engine 'mysql' is not supported (postgresql)",
                                "database.backups 'relative/../path' is not an absolute folder path"));
    }

    @Test
    void refusesImageTagTemplatesThatCannotBeTags() {
        assertThatThrownBy(() -> AppSpecParser.parse("shop", """
                source: {repository: github.com/example/shop}
                image: {repository: registry.example.org/shop, tag: "{sha}/../x"}
                """)).hasMessageContaining("image.tag '{sha}/../x' is not an image tag template");
    }
}
