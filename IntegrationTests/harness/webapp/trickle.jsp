<%@ page session="false" contentType="text/plain;charset=UTF-8" trimDirectiveWhitespaces="true" %>
<%-- ?size= bytes of 'a', a pause of ?ms=, ?size= bytes of 'b', and never an explicit flush:
     Tomcat sends each full response buffer (8 KiB) as it fills, with no AJP flush packet. Shows
     whether the front end passes on what arrived before it waits for more. --%>
<%
    int size = Integer.parseInt(request.getParameter("size") == null ? "20000" : request.getParameter("size"));
    long ms = Long.parseLong(request.getParameter("ms") == null ? "700" : request.getParameter("ms"));
    char[] a = new char[size];
    java.util.Arrays.fill(a, 'a');
    out.write(a);
    Thread.sleep(ms);
    char[] b = new char[size];
    java.util.Arrays.fill(b, 'b');
    out.write(b);
%>
