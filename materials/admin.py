from django.contrib import admin
from django.template.defaultfilters import truncatechars

from materials import services
from materials.models import Material, MaterialChunk, MaterialPage, MaterialProcessingJob, MaterialTag
from studyin.admin import ReadOnlyAdminMixin


class ChunkInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = MaterialChunk
    fields = ("chunk_index", "page_number", "excerpt")
    readonly_fields = fields  # never the embedding: 384 floats per row
    ordering = ("chunk_index",)
    show_change_link = True
    classes = ("collapse",)

    @admin.display(description="content")
    def excerpt(self, chunk: MaterialChunk) -> str:
        return truncatechars(chunk.content, 120)


class JobInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = MaterialProcessingJob
    fields = ("job_type", "status", "started_at", "completed_at", "error_message")
    readonly_fields = fields
    ordering = ("created_at",)
    show_change_link = True


class TagInline(admin.TabularInline):
    model = MaterialTag
    fields = ("tag", "category", "confidence", "is_auto_generated")
    extra = 0


@admin.register(Material)
class MaterialAdmin(admin.ModelAdmin):
    list_display = (
        "title",
        "user",
        "topic",
        "file_type",
        "processing_status",
        "chunk_count",
        "question_count",
        "created_at",
    )
    list_filter = ("processing_status", "file_type")
    list_select_related = ("user",)
    search_fields = ("title", "filename", "topic", "user__email")
    raw_id_fields = ("user",)
    readonly_fields = ("id", "chunk_count", "question_count", "processed_at", "created_at", "updated_at")
    date_hierarchy = "created_at"
    ordering = ("-created_at",)
    inlines = (JobInline, TagInline, ChunkInline)
    actions = ("reprocess",)

    @admin.action(description="Process selected materials again from the start")
    def reprocess(self, request, queryset):
        started = sum(services.material_reprocess(material=material) for material in queryset)
        self.message_user(request, f"{started} of {queryset.count()} materials queued for processing again.")


@admin.register(MaterialPage)
class MaterialPageAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("material", "page_number", "heading", "created_at")
    list_select_related = ("material",)
    search_fields = ("material__title", "heading")
    ordering = ("material", "page_number")
    show_full_result_count = False


@admin.register(MaterialChunk)
class MaterialChunkAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("material", "chunk_index", "page_number", "char_start", "char_end", "created_at")
    list_select_related = ("material",)
    search_fields = ("material__title",)
    exclude = ("embedding",)
    date_hierarchy = "created_at"
    ordering = ("material", "chunk_index")
    show_full_result_count = False


@admin.register(MaterialProcessingJob)
class MaterialProcessingJobAdmin(admin.ModelAdmin):
    list_display = ("material", "job_type", "status", "attempts", "started_at", "completed_at", "error_message")
    list_filter = ("job_type", "status")
    list_select_related = ("material",)
    search_fields = ("material__title",)
    raw_id_fields = ("material",)
    readonly_fields = ("id", "created_at")
    date_hierarchy = "created_at"
    ordering = ("-created_at",)


@admin.register(MaterialTag)
class MaterialTagAdmin(admin.ModelAdmin):
    list_display = ("tag", "category", "material", "confidence", "is_auto_generated")
    list_filter = ("category", "is_auto_generated")
    list_select_related = ("material",)
    search_fields = ("tag", "material__title")
    raw_id_fields = ("material",)
    readonly_fields = ("id", "created_at")
    date_hierarchy = "created_at"
    ordering = ("tag",)
