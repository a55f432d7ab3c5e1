"""Lists: {count, next, previous, results} with ?page= and ?page_size= (at most 1000)."""

from rest_framework.pagination import PageNumberPagination


class ApiPagination(PageNumberPagination):
    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 1000
