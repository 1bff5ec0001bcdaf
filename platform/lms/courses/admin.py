"""Staff tools: course roles (who instructs what), sessions and enrollments. The catalog
itself is edited as files in course_content/ and imported, never here."""

from django.contrib import admin

from .models import CourseRole, CourseSession, Enrollment


@admin.register(CourseRole)
class CourseRoleAdmin(admin.ModelAdmin):
    list_display = ("user", "course", "role")
    list_filter = ("course", "role")
    autocomplete_fields = ("user",)


@admin.register(CourseSession)
class CourseSessionAdmin(admin.ModelAdmin):
    list_display = ("course", "starts")
    list_filter = ("course",)


@admin.register(Enrollment)
class EnrollmentAdmin(admin.ModelAdmin):
    list_display = ("user", "course", "track", "session", "active", "created")
    list_filter = ("course", "track", "active")
    search_fields = ("user__username",)
    raw_id_fields = ("user", "session")
