from django.contrib import admin

from kundportal.core.models import PortalSettings

admin.site.register(PortalSettings)
