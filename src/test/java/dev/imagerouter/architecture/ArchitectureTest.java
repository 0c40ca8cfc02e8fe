package dev.imagerouter.architecture;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchRule;
import com.tngtech.archunit.library.Architectures;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

/**
 * The house's frame (README "Architecture"), checked on the production classes: layers from the
 * ground up, each importing only those below it; no package cycles; the sandbox beside the house,
 * known only to the wiring; no benchmark code in main.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ArchitectureTest {

    static final String ROOT = "dev.imagerouter";

    private JavaClasses main;

    @BeforeAll
    void importMain() {
        main = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS).importPackages(ROOT);
    }

    /** The layers, bottom up. Micronaut's generated bean definitions count as their bean's package. */
    static Architectures.LayeredArchitecture layers() {
        return Architectures.layeredArchitecture().consideringOnlyDependenciesInLayers()
                .layer("Vocabulary").definedBy(ROOT + ".vocabulary..", ROOT + ".policy..", ROOT + ".configtree..")
                .layer("Providers").definedBy(ROOT + ".provider..")
                .layer("Core").definedBy(ROOT + ".settings..", ROOT + ".probe..", ROOT + ".routing..", ROOT + ".cache..", ROOT + ".storage..",
                        ROOT + ".credits..", ROOT + ".lifecycle..", ROOT + ".alerts..", ROOT + ".metrics..",
                        ROOT + ".callbacks..", ROOT + ".jobs..", ROOT + ".tracing..", ROOT + ".history..", ROOT + ".cluster..")
                .layer("Api").definedBy(ROOT + ".api..")
                .layer("Wiring").definedBy(ROOT + ".config..")
                .layer("Sandbox").definedBy(ROOT + ".sandbox..")
                .whereLayer("Wiring").mayNotBeAccessedByAnyLayer()
                .whereLayer("Api").mayOnlyBeAccessedByLayers("Wiring")
                .whereLayer("Core").mayOnlyBeAccessedByLayers("Api", "Wiring")
                .whereLayer("Providers").mayOnlyBeAccessedByLayers("Core", "Api", "Wiring")
                .whereLayer("Sandbox").mayOnlyBeAccessedByLayers("Wiring");
    }

    @Test
    void eachLayerImportsOnlyTheLayersBelowIt() {
        layers().check(main);
    }

    @Test
    void noPackageCycles() {
        slices().matching(ROOT + ".(**)").should().beFreeOfCycles().check(main);
    }

    @Test
    void theSandboxImportsNothingOfTheHouseAboveTheVocabulary() {
        noClasses().that().resideInAPackage(ROOT + ".sandbox..").should().dependOnClassesThat()
                .resideInAnyPackage(ROOT + ".provider..", ROOT + ".settings..", ROOT + ".routing..", ROOT + ".cache..",
                        ROOT + ".storage..", ROOT + ".credits..", ROOT + ".lifecycle..", ROOT + ".alerts..",
                        ROOT + ".metrics..", ROOT + ".callbacks..", ROOT + ".jobs..", ROOT + ".history..", ROOT + ".cluster..", ROOT + ".api..",
                        ROOT + ".config..")
                .check(main);
    }

    /** Serialisation annotations (Micronaut Serde's {@code @Serdeable}) are allowed: they are metadata, not a runtime. */
    @Test
    void theVocabularyUsesNoFramework() {
        noClasses().that().resideInAnyPackage(ROOT + ".vocabulary..", ROOT + ".policy..", ROOT + ".configtree..")
                .should().dependOnClassesThat()
                .resideInAnyPackage("io.micronaut.context..", "io.micronaut.http..", "io.micronaut.runtime..", "jakarta.inject..",
                        "io.netty..", "com.openai..", "io.github.resilience4j..", "reactor..")
                .check(main);
    }

    @Test
    void noBenchmarkCodeInMain() {
        ArchRule rule = noClasses().should().resideInAPackage("..bench..").allowEmptyShould(true);
        rule.check(main);
    }

    @Test
    void theGenerationCoreNeverReachesForTheWiring() {
        classes().that().resideInAnyPackage(ROOT + ".routing..", ROOT + ".cache..", ROOT + ".storage..", ROOT + ".credits..",
                        ROOT + ".lifecycle..", ROOT + ".alerts..", ROOT + ".metrics..", ROOT + ".callbacks..", ROOT + ".jobs..",
                        ROOT + ".tracing..", ROOT + ".history..", ROOT + ".cluster..")
                .should().onlyDependOnClassesThat().resideOutsideOfPackages(ROOT + ".config..", ROOT + ".api..", ROOT + ".sandbox..")
                .check(main);
    }

    /**
     * The OpenTelemetry API stays behind the router's own tracing types ({@code tracing}) and the
     * wiring: the walk, the store and the adapters see {@code Tracing}, {@code TraceParent} and
     * {@code TraceHeaders} only.
     */
    @Test
    void onlyTheTracingPackageAndTheWiringUseOpenTelemetry() {
        noClasses().that().resideOutsideOfPackages(ROOT + ".tracing..", ROOT + ".config..")
                .should().dependOnClassesThat().resideInAnyPackage("io.opentelemetry..", "io.micronaut.tracing..")
                .check(main);
    }

    /** The provider files' raw tree is read once, at load: the running code sees typed settings only. */
    @Test
    void theRawSettingsTreeIsReadOnlyWhileLoading() {
        noClasses().that().resideInAnyPackage(ROOT + ".routing..", ROOT + ".cache..", ROOT + ".storage..", ROOT + ".credits..",
                        ROOT + ".lifecycle..", ROOT + ".alerts..", ROOT + ".metrics..", ROOT + ".probe..", ROOT + ".api..",
                        ROOT + ".sandbox..", ROOT + ".callbacks..", ROOT + ".jobs..", ROOT + ".history..", ROOT + ".cluster..")
                .should().dependOnClassesThat().resideInAPackage(ROOT + ".configtree..")
                .check(main);
    }
}
