package org.gitopsrelay;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import org.junit.jupiter.api.Test;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;

/**
 * Packages are features, and features depend on each other in one direction only: a cycle would mean neither can
 * be understood, tested or changed without the other. What every feature shares lives in {@code shared}, which
 * depends on no feature.
 */
class PackageStructureTest {

    private static final JavaClasses MAIN = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS).importPackages("org.gitopsrelay");

    @Test
    void noTwoFeaturePackagesDependOnEachOther() {
        slices().matching("org.gitopsrelay.(*)..").should().beFreeOfCycles().check(MAIN);
    }

    @Test
    void whatEveryFeatureSharesDependsOnNoFeature() {
        noClasses().that().resideInAPackage("org.gitopsrelay.shared..").should().dependOnClassesThat()
                .resideOutsideOfPackages("org.gitopsrelay.shared..", "java..", "jakarta..", "org.jboss.logging..")
                .check(MAIN);
    }
}
