from django.contrib import admin

from .models import Post, Thread


class PostInline(admin.TabularInline):
    model = Post
    extra = 0
    raw_id_fields = ["author"]


@admin.register(Thread)
class ThreadAdmin(admin.ModelAdmin):
    list_display = ["title", "activity", "author", "created"]
    list_select_related = ["activity", "author"]
    search_fields = ["title", "body"]
    raw_id_fields = ["activity", "author", "answer"]
    inlines = [PostInline]
